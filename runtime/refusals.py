"""Every refusal's stable code and its words in zh-CN and English, in one table.

A domain error's code is its class's ``code`` attribute, or its class name in snake case
without ``Error`` (``AlarmOwnedError`` → ``alarm_owned``); an HTTP refusal with no domain error
behind it takes its status's code. English callers get the sentence the error was raised with
(it names the record); zh-CN callers get this table's words, filled with the error's fields."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from runtime.language import Language


@dataclass(frozen=True)
class Words:
    zh: str
    en: str


REFUSALS: dict[str, Words] = {
    # Refusals by status, when no domain error says more.
    "bad_request": Words("请求无法读取", "The request could not be read"),
    "not_signed_in": Words("未登录或登录已过期，请重新登录",
                           "Not signed in, or the session has ended"),
    "forbidden": Words("您的角色无权进行此操作", "Your role may not do this"),
    "not_found": Words("找不到该记录", "No such record"),
    "method_not_allowed": Words("不支持此操作", "This action is not supported here"),
    "conflict": Words("当前状态不允许此操作", "The record's state does not allow this"),
    "too_large": Words("上传的内容太大", "The upload is too large"),
    "invalid": Words("填写的内容有误", "Some of the input is not valid"),
    "too_many_requests": Words("尝试次数太多，请稍后再试", "Too many attempts; try again later"),
    "unavailable": Words("服务暂时不可用，请稍后再试",
                         "The service is not available; try again later"),
    "failed": Words("操作未能完成", "The request could not be completed"),
    # devices: watch commands (devices/watch)
    "command": Words("这条手表指令的内容不正确", "The watch command's arguments do not fit it"),
    "command_not_allowed": Words("您的角色无权向手表发送这条指令",
                                 "Your role may not send this command to a watch"),
    # liveness: a capture link past its expiry
    "link_expired": Words("这个认证链接已过期，请联系工作人员重新发送",
                          "This check link has expired; ask the staff to send a new one"),
    # areas and centres
    "area_outside_scope": Words("您所在的中心不负责该地区",
                                "The area is not served by your centres"),
    "unknown_area": Words("没有这个地区", "No such area"),
    "centre_not_found": Words("找不到该服务中心", "No such centre"),
    # accounts
    "authentication": Words("用户名或密码不正确，或登录已过期",
                            "Wrong username or password, or the session has ended"),
    "staff_not_found": Words("找不到该工作人员账号", "No such staff account"),
    "username_taken": Words("该用户名已被使用", "This username is taken"),
    "own_account": Words("不能停用自己的账号", "You cannot disable your own account"),
    # alarms and alerts
    "alarm_not_found": Words("找不到该警报", "No such alarm"),
    "alarm_state": Words("该警报的当前状态不允许此操作", "The alarm's state does not allow this"),
    "alarm_owned": Words("该警报已由{owner_name}接手",
                         "This alarm is already owned by {owner_name}"),
    "unknown_alarm_kind": Words("未知的警报类型", "Unknown alarm kind"),
    "alert_not_found": Words("找不到该系统提醒", "No such system alert"),
    "alert_state": Words("该系统提醒已处于此状态", "The system alert is already in that state"),
    # call centre
    "call_center": Words("呼叫中心无法完成此操作", "The call centre cannot do this"),
    "call_not_found": Words("找不到该通话", "No such call"),
    "call_not_waiting": Words("该来电已不在等待中（已被他人接听或来电者已挂断）",
                              "The call is no longer waiting"),
    "not_your_call": Words("只有正在通话的接线员可以挂断",
                           "Only the operator on the call may hang it up"),
    "campaign_not_found": Words("找不到该回访计划", "No such call campaign"),
    "call_not_live": Words("通话已结束或尚未接通", "The call has ended or was never answered"),
    "unknown_purpose": Words("未知的通话用途", "Unknown call purpose"),
    "monitoring_unsupported": Words("当前电话网络不支持监听",
                                    "The phone network cannot add a listener"),
    "no_phone_endpoint": Words("该工作人员没有设置电话分机",
                               "This staff member has no phone endpoint"),
    "no_phone_network": Words("尚未配置电话网络", "No phone network is configured"),
    "number_not_dialable": Words("该号码不是老人、联系人、服务机构或工作人员的号码，不能拨打",
                                 "This number may not be dialled"),
    "routing": Words("该任务已被他人接手、已结束或未分配给您",
                     "The task was taken, has ended or is not offered to you"),
    "article_not_found": Words("找不到该知识库文章", "No such knowledge article"),
    # devices
    "device_not_found": Words("找不到设备 {device_id}", "No device {device_id}"),
    "device_id_taken": Words("该设备编号已被登记", "A device with this id is already registered"),
    "unknown_device_model": Words("设备目录中没有该型号",
                                  "The model is not in the device catalogue"),
    "payload": Words("无法读取设备消息", "The device message cannot be read"),
    "broker_reload": Words("消息服务器未能重新读取账号配置",
                           "The broker could not reload its accounts"),
    "device_edit": Words("不允许这样修改设备", "This device change is not allowed"),
    "phone_number_taken": Words("该手机号已被另一台设备使用",
                                "Another device already has this phone number"),
    "ingest_stalled": Words("设备消息接收已停滞", "The device ingest has stalled"),
    "reserved_device_id": Words("该设备编号为系统保留", "This device id is reserved"),
    # dispatch
    "dispatch": Words("派单无法完成此操作", "Dispatch cannot do this"),
    "dispatch_not_found": Words("找不到该工单、服务机构或派单邀请",
                                "No such order, provider or offer"),
    "order_state": Words("该工单的当前状态不允许此操作", "The order's state does not allow this"),
    "offer_closed": Words("该派单邀请已过期或已被他人接受", "The offer has expired or was taken"),
    "dispatch_invalid": Words("派单内容不合理", "The dispatch request makes no sense"),
    "bad_link": Words("链接无效或已过期，请联系 12349 服务中心",
                      "The link is not valid or has expired; call 12349"),
    # incidents
    "incident": Words("事件无法完成此操作", "The incident cannot do this"),
    "incident_not_found": Words("找不到该事件", "No such incident"),
    "incident_closed": Words("该事件已关闭；新情况请新建事件",
                             "The incident is closed; open a new one"),
    "not_incident_owner": Words("该事件由其他接线员负责，只有负责人或主管可以操作",
                                "Only the incident's owner or a supervisor may do this"),
    "incident_already_open": Words("该老人已有一个未关闭的事件",
                                   "The senior already has an open incident"),
    "incident_conflict": Words("该事件现在不能进行此步骤",
                               "The incident cannot take this step now"),
    "incident_input": Words("所选内容不属于该事件的老人",
                            "That does not belong to this incident's senior"),
    # liveness
    "liveness": Words("活体认证无法完成此操作", "Proof of life cannot do this"),
    "consent_missing": Words("老人没有签署生物识别同意书，请改为上门核验",
                             "No biometric consent: arrange a home visit instead"),
    "photo_refused": Words("照片无法使用", "The photo cannot be used"),
    "not_enrolled": Words("老人尚未登记人脸照片", "The senior has no enrolment photo"),
    "session_not_found": Words("找不到该认证会话", "No such check"),
    "session_refused": Words("认证会话已过期或已使用", "The check has expired or was used"),
    "frames_refused": Words("无法读取上传的画面", "The uploaded pictures cannot be read"),
    "rate_limited": Words("尝试次数太多，请稍后再试", "Too many attempts; try again later"),
    "review": Words("复核不符合双人审核规则，或该结果不在待复核状态",
                    "The review breaks the four-eyes rule or is not pending"),
    "decision_not_found": Words("找不到该认证结果", "No such decision"),
    "template_key": Words("存储的人脸模板无法用当前密钥打开",
                          "A stored template does not open with the configured key"),
    # seniors
    "senior_not_found": Words("找不到该老人", "No such senior"),
    "duplicate_resident_id": Words("该身份证号已登记",
                                   "A senior with this resident ID is already registered"),
}

BY_STATUS = {400: "bad_request", 401: "not_signed_in", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid",
             429: "too_many_requests", 503: "unavailable"}


def code_of(error: BaseException | None, status: int) -> str:
    """The stable code of a domain error, or of the status when no known error is behind it."""
    if error is not None:
        code = getattr(type(error), "code", None)
        if not isinstance(code, str):
            name = type(error).__name__.removesuffix("Error")
            code = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        if code in REFUSALS:
            return code
    return BY_STATUS.get(status, "failed")


def params_of(error: BaseException | None) -> dict[str, Any]:
    """The fields an error carries (ids, owners) that its words may name."""
    if error is None:
        return {}
    return {name: value for name, value in vars(error).items() if not name.startswith("_")}


def say(code: str, language: Language, *, params: dict[str, Any] | None = None,
        english: str = "") -> str:
    """The refusal in the caller's language; English prefers the sentence raised, if any."""
    if language == "en" and english:
        return english
    words = REFUSALS.get(code, REFUSALS["failed"])
    return _fill(words.zh if language == "zh-CN" else words.en, params or {})


def _fill(template: str, params: dict[str, Any]) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not names <= params.keys():  # a field the error did not carry: the words without it
        return re.sub(r"\s*\{\w+\}", "", template)
    return template.format(**{name: _plain(params[name]) for name in names})


def _plain(value: Any) -> Any:
    """1.0 reads as 1: a limit as a person would write it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A refused field's words by pydantic's error type, filled with the error's context.
FIELD_WORDS: dict[str, Words] = {
    "missing": Words("必须填写", "is required"),
    "less_than": Words("必须小于 {lt}", "must be less than {lt}"),
    "less_than_equal": Words("不能大于 {le}", "must be at most {le}"),
    "greater_than": Words("必须大于 {gt}", "must be greater than {gt}"),
    "greater_than_equal": Words("不能小于 {ge}", "must be at least {ge}"),
    "string_too_short": Words("至少 {min_length} 个字符", "needs at least {min_length} characters"),
    "string_too_long": Words("最多 {max_length} 个字符",
                             "may have at most {max_length} characters"),
    "too_short": Words("至少 {min_length} 项", "needs at least {min_length} items"),
    "too_long": Words("最多 {max_length} 项", "may have at most {max_length} items"),
    "int_parsing": Words("必须是整数", "must be a whole number"),
    "int_from_float": Words("必须是整数", "must be a whole number"),
    "float_parsing": Words("必须是数字", "must be a number"),
    "bool_parsing": Words("必须是“是”或“否”", "must be yes or no"),
    "enum": Words("不是可选的值之一", "is not one of the choices"),
    "literal_error": Words("不是可选的值之一", "is not one of the choices"),
    "string_pattern_mismatch": Words("格式不正确", "is not in the right format"),
    "datetime_parsing": Words("不是有效的日期时间", "is not a valid date and time"),
    "datetime_from_date_parsing": Words("不是有效的日期时间", "is not a valid date and time"),
    "date_parsing": Words("不是有效的日期", "is not a valid date"),
    "json_invalid": Words("不是有效的 JSON", "is not valid JSON"),
    "extra_forbidden": Words("不是可填写的项目", "is not a field that may be given"),
    "string_type": Words("必须是文字", "must be text"),
}


def say_field(kind: str, language: Language, *, context: dict[str, Any], pydantic: str) -> str:
    """One refused field's words: this table's, or pydantic's own sentence in English."""
    words = FIELD_WORDS.get(kind)
    if words is None:
        return pydantic if language == "en" else "内容无效"
    return _fill(words.zh if language == "zh-CN" else words.en, context)
