"""Outbound campaigns: wellbeing calls to seniors who live alone, weather warnings to a district."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter import dialling, events, ivr, service
from callcenter.exceptions import CampaignNotFoundError
from callcenter.lifespan import callcenter_of
from callcenter.models import CallCampaign, CallLeg
from callcenter.port import FINAL_STATUSES, CallAction, CallStatus, Enqueue, Gather, Hangup, Say
from callcenter.schemas import CampaignIn, CampaignOut
from runtime.context import Runtime
from seniors import service as seniors_service

WELLBEING_PROMPT = "您好，这里是12349养老服务热线的关怀回访。一切都好，请按1。需要帮助，请按2。"
WELLBEING_THANKS = "好的，祝您身体健康。再见。"
WELLBEING_HELP = "正在为您转接值班员，请不要挂机。"
DEFAULT_WARNING = "这里是12349养老服务热线。近期气温变化大，请注意保暖防暑，有需要请拨打12349。"


async def create_campaign(session: AsyncSession, *, data: CampaignIn, created_by: str,
                          now: datetime) -> CallCampaign:
    campaign = CallCampaign(kind=data.kind, name=data.name, district=data.district,
                            message=data.message or (DEFAULT_WARNING if data.kind == "warning"
                                                     else WELLBEING_PROMPT),
                            scheduled_at=data.scheduled_at or now, created_by=created_by)
    session.add(campaign)
    await session.flush()
    return campaign


async def recipients(session: AsyncSession,
                     campaign: CallCampaign) -> list[seniors_service.SeniorReach]:
    """Wellbeing: seniors living alone (in the district if given). Warning: the district."""
    seniors = await seniors_service.reach_of_active(
        session, lives_alone_only=campaign.kind == "wellbeing", district=campaign.district)
    return [senior for senior in seniors if senior.phones]


async def run_due(runtime: Runtime) -> None:
    """Start campaigns whose time has come; mark finished those whose calls all ended."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        due = (await session.execute(select(CallCampaign).where(
            CallCampaign.started_at.is_(None), CallCampaign.scheduled_at <= now))).scalars().all()
        new_calls: list[int] = []
        for campaign in due:
            campaign.started_at = now
            for senior in await recipients(session, campaign):
                call = CallLeg(provider=callcenter_of(runtime).provider.name,
                               direction="outbound", purpose=campaign.kind,
                               from_number=runtime.settings.hotline_number,
                               to_number=senior.phones[0], senior_id=senior.id,
                               status=CallStatus.QUEUED, created_at=now,
                               campaign_id=campaign.id, ivr_path=[], ivr_state={})
                session.add(call)
                await session.flush()
                new_calls.append(call.id)
        await _finish_done(session, now)
        await session.commit()
    for call_id in new_calls:
        await dialling.place_call(runtime, call_id)


async def _finish_done(session: AsyncSession, now: datetime) -> None:
    running = (await session.execute(select(CallCampaign).where(
        CallCampaign.started_at.is_not(None), CallCampaign.finished_at.is_(None)))).scalars()
    for campaign in running.all():
        statuses = (await session.execute(select(CallLeg.status).where(
            CallLeg.campaign_id == campaign.id))).scalars().all()
        if all(s in FINAL_STATUSES for s in statuses):
            campaign.finished_at = now


async def answered_actions(session: AsyncSession, *, call: CallLeg) -> tuple[CallAction, ...]:
    campaign = await session.get(CallCampaign, call.campaign_id)
    if campaign is None or campaign.kind == "wellbeing":
        return (Gather(WELLBEING_PROMPT, ivr.ZH, ivr.GATHER_TIMEOUTS["wellbeing"]),)
    call.outcome = "delivered"
    return (Say(campaign.message, ivr.ZH), Say(campaign.message, ivr.ZH), Hangup())


async def on_input(session: AsyncSession, *, call: CallLeg, digits: str | None,
                   now: datetime) -> tuple[CallAction, ...]:
    """1: all is well. Anything else, or silence: a person calls them back on this line."""
    key = (digits or "").strip()[:1]
    call.ivr_path = [*call.ivr_path, f"key:{key or 'silence'}"]
    if key == "1":
        call.outcome = "well"
        return (Say(WELLBEING_THANKS, ivr.ZH), Hangup())
    call.outcome = None
    service.enqueue(call, queue="service", priority=2, now=now)
    call.ivr_path = [*call.ivr_path, "needs-help"]
    return (Say(WELLBEING_HELP, ivr.ZH), Enqueue("service", 2))


async def report(session: AsyncSession, *, campaign_id: int) -> CampaignOut:
    campaign = await session.get(CallCampaign, campaign_id)
    if campaign is None:
        raise CampaignNotFoundError(f"no campaign {campaign_id}")
    calls = (await session.execute(select(CallLeg).where(
        CallLeg.campaign_id == campaign.id).order_by(CallLeg.id))).scalars().all()
    return CampaignOut(
        id=campaign.id, kind=campaign.kind, name=campaign.name, district=campaign.district,
        message=campaign.message, scheduled_at=campaign.scheduled_at,
        started_at=campaign.started_at, finished_at=campaign.finished_at,
        results=dict(Counter(c.outcome or c.status for c in calls)),
        calls=[events.call_out(c) for c in calls])
