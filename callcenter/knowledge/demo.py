"""A handful of demo articles, marked as demo content: the wording and amounts are examples,
not the policy of any real district. A centre replaces them with its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.knowledge import service
from callcenter.knowledge.models import PolicyArticle
from callcenter.knowledge.schemas import ArticleIn, Category, Language

DEMO_ARTICLES = (
    ArticleIn(category=Category.SUBSIDY, title="高龄津贴：谁能领、领多少（示例）",
              tags=["高龄津贴", "80岁"],
              body="年满80周岁、户籍在本市的老年人可申领高龄津贴。示例标准：80至89岁每月100元，"
                   "90至99岁每月200元，100岁以上每月500元。津贴按月发放到本人社保卡。"
                   "每年需完成一次生存认证，逾期未认证的暂停发放，认证后补发。"),
    ArticleIn(category=Category.HOW_TO_APPLY, title="如何申请高龄津贴（示例）",
              tags=["申请", "社区"],
              body="本人或家属携带身份证、户口本、社保卡到户籍所在地社区服务站申请，"
                   "社区初审后报街道（乡镇）审核，区民政局审批。行动不便的老人可致电12349预约上门受理。"),
    ArticleIn(category=Category.SUBSIDY, title="居家养老服务补贴（示例）",
              tags=["居家养老", "服务补贴", "失能"],
              body="经评估为失能、半失能的低保、特困老人，可享受居家养老服务补贴，"
                   "用于助餐、助洁、助浴、助医等上门服务。补贴以服务券形式计入老人账户，"
                   "由加盟服务商上门服务后结算，老人只需支付差额部分。"),
    ArticleIn(category=Category.SUBSIDY, title="残疾人两项补贴（示例）",
              tags=["残疾人", "护理补贴", "生活补贴"],
              body="困难残疾人生活补贴和重度残疾人护理补贴。持第二代残疾人证，"
                   "到户籍所在地乡镇（街道）申请。已享受其他护理补贴的不重复领取。"),
    ArticleIn(category=Category.HOW_TO_APPLY, title="生存认证怎么做",
              tags=["生存认证", "刷脸", "资格认证"],
              body="每年至少完成一次生存认证。可在家用手机刷脸认证（需本人同意使用人脸信息），"
                   "也可到社区服务站由工作人员协助认证；卧床老人可预约工作人员上门认证，"
                   "不愿刷脸的可选择上门核验。认证失败不会立即停发，工作人员会先电话联系或上门。"),
    ArticleIn(category=Category.HOTLINE, title="12349热线能办什么",
              tags=["12349", "紧急呼叫", "服务"],
              body="12349养老服务热线提供紧急救助、政策咨询、生活服务预约（助餐、保洁、维修、陪诊）"
                   "和投诉建议。按1紧急求助，按2政策咨询，按3预约服务，按4投诉，按0转人工。"),
    ArticleIn(category=Category.SERVICE_PRICES, title="常见上门服务价格（示例）",
              tags=["价格", "助餐", "保洁"],
              body="示例价格：助餐每餐12元（补贴对象自付3元）；保洁每次2小时60元；助浴每次80元；"
                   "上门维修按项目收费，上门费20元。实际价格以服务商公示为准。"),
    ArticleIn(language=Language.EN, category=Category.SUBSIDY,
              title="Old-age allowance: who qualifies (example)", tags=["allowance", "80+"],
              body="Residents aged 80 or over may claim a monthly old-age allowance (example "
                   "rates: 100 yuan at 80-89, 200 at 90-99, 500 at 100+). Proof of life is needed "
                   "once a year; payment pauses when it is overdue and resumes with back-pay."),
    ArticleIn(language=Language.EN, category=Category.HOW_TO_APPLY,
              title="Proof of life: the ways to do it", tags=["proof of life", "face check"],
              body="Seniors certify once a year: a face check at home on a phone (with separate "
                   "consent), at a community centre with staff, or a home visit for those who "
                   "cannot travel or prefer not to use face recognition."),
)


async def seed_articles(session: AsyncSession, *, now: datetime) -> int:
    """Seed the demo articles into an empty knowledge base; returns how many."""
    if await session.scalar(select(func.count()).select_from(PolicyArticle)):
        return 0
    for article in DEMO_ARTICLES:
        await service.create_article(session, data=article, by="demo", now=now, demo=True)
    return len(DEMO_ARTICLES)
