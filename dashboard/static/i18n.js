// zh-CN by default; the choice of English is kept in this browser.
const STRINGS = {
  "zh-CN": {
    "login.subtitle": "养老服务热线 · 值班平台",
    "login.username": "用户名",
    "login.password": "密码",
    "login.submit": "登录",
    "login.failed": "用户名或密码错误",
    "login.locked": "登录失败次数过多，账号已暂时锁定",
    "nav.overview": "总览",
    "nav.seniors": "老人档案",
    "nav.alarms": "报警队列",
    "nav.knowledge": "政策知识库",
    "nav.health": "健康管理",
    "nav.supervisor": "值班长看板",
    "nav.desk": "我的工作台",
    "nav.audit": "审计日志",
    "nav.staff": "工作人员",
    "top.logout": "退出",
    "live.connected": "实时连接正常",
    "live.reconnecting": "正在重新连接…",
    "overview.title": "值班总览",
    "overview.seniors": "在册老人",
    "overview.feed": "实时动态",
    "overview.empty": "暂无动态",
    "seniors.title": "老人档案",
    "seniors.search": "搜索",
    "seniors.name": "姓名",
    "seniors.phone": "电话",
    "seniors.district": "区县",
    "seniors.all_districts": "全部区县",
    "seniors.age": "年龄",
    "seniors.address": "地址",
    "seniors.id": "身份证号",
    "seniors.alone": "独居",
    "seniors.total": "共 {n} 人",
    "seniors.none": "没有符合条件的老人",
    "senior.contacts": "紧急联系人",
    "senior.medical": "健康备注",
    "senior.languages": "语言/方言",
    "senior.subsidies": "补贴类别",
    "senior.consents": "授权记录",
    "senior.close": "关闭",
    "audit.title": "审计日志",
    "audit.at": "时间",
    "audit.actor": "操作人",
    "audit.action": "操作",
    "audit.subject": "对象",
    "staff.title": "工作人员",
    "staff.username": "用户名",
    "staff.name": "姓名",
    "staff.role": "角色",
    "role.operator": "值班员",
    "role.supervisor": "值班长",
    "role.dispatcher": "派单员",
    "role.subsidy_staff": "补贴经办",
    "role.admin": "管理员",
    "yes": "是",
    "no": "否",
  },
  en: {
    "login.subtitle": "Senior services hotline · duty desk",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Log in",
    "login.failed": "Wrong username or password",
    "login.locked": "Too many failed log-ins; the account is locked for a while",
    "nav.overview": "Overview",
    "nav.seniors": "Seniors",
    "nav.alarms": "Alarms",
    "nav.knowledge": "Policies",
    "nav.health": "Health",
    "nav.supervisor": "Supervisor",
    "nav.desk": "My desk",
    "nav.audit": "Audit log",
    "nav.staff": "Staff",
    "top.logout": "Log out",
    "live.connected": "Live",
    "live.reconnecting": "Reconnecting…",
    "overview.title": "Duty overview",
    "overview.seniors": "Registered seniors",
    "overview.feed": "Live activity",
    "overview.empty": "Nothing yet",
    "seniors.title": "Seniors",
    "seniors.search": "Search",
    "seniors.name": "Name",
    "seniors.phone": "Phone",
    "seniors.district": "District",
    "seniors.all_districts": "All districts",
    "seniors.age": "Age",
    "seniors.address": "Address",
    "seniors.id": "Resident ID",
    "seniors.alone": "Lives alone",
    "seniors.total": "{n} seniors",
    "seniors.none": "No senior matches",
    "senior.contacts": "Emergency contacts",
    "senior.medical": "Medical notes",
    "senior.languages": "Languages",
    "senior.subsidies": "Subsidies",
    "senior.consents": "Consents",
    "senior.close": "Close",
    "audit.title": "Audit log",
    "audit.at": "When",
    "audit.actor": "Who",
    "audit.action": "Action",
    "audit.subject": "Subject",
    "staff.title": "Staff",
    "staff.username": "Username",
    "staff.name": "Name",
    "staff.role": "Role",
    "role.operator": "Operator",
    "role.supervisor": "Supervisor",
    "role.dispatcher": "Dispatcher",
    "role.subsidy_staff": "Subsidy staff",
    "role.admin": "Admin",
    "yes": "yes",
    "no": "no",
  },
};

const KEY = "anxin.lang";

export function currentLanguage() {
  return localStorage.getItem(KEY) === "en" ? "en" : "zh-CN";
}

export function toggleLanguage() {
  localStorage.setItem(KEY, currentLanguage() === "en" ? "zh-CN" : "en");
  document.documentElement.lang = currentLanguage();
}

export function addStrings(language, strings) {
  Object.assign(STRINGS[language], strings);
}

export function t(key, values = {}) {
  const text = STRINGS[currentLanguage()][key] ?? STRINGS["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function applyTranslations(root) {
  document.documentElement.lang = currentLanguage();
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
}
