"""Binding a family contact's WeChat: the signed link and QR code the operator sends, and the
OAuth round trip that stores the openid once the contact has agreed."""

from __future__ import annotations

import io
from datetime import timedelta

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from messaging import service
from messaging.exceptions import BadBindingLink
from messaging.lifespan import messaging_of
from messaging.links import BindingLink, read_binding, sign_binding
from messaging.models import WechatBinding
from messaging.wechat import WechatAccount
from runtime.context import Runtime
from seniors import service as seniors_service

CONSENT_ZH = ("我同意12349养老服务热线通过微信向我发送家人的求助、上门和认证提醒通知，"
              "可随时告知热线取消。")
CONSENT_EN = ("I agree that the 12349 elderly-care line may send me notices about my family "
              "member's calls for help, visits and certification reminders on WeChat; I can "
              "ask the line to stop at any time.")


def wechat_of(runtime: Runtime) -> WechatAccount:
    wechat = messaging_of(runtime).wechat
    if wechat is None:
        raise BadBindingLink("WeChat is not configured (ANXIN_WECHAT_APP_ID)")
    return wechat


def link_url(runtime: Runtime, token: str) -> str:
    return f"{(runtime.settings.public_base_url or '').rstrip('/')}/wechat/bind/{token}"


def qr_svg(url: str) -> str:
    """The link as a QR code, drawn here (segno), so no third party sees the link."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=4, xmldecl=False)
    return out.getvalue().decode()


def issue_link(runtime: Runtime, *, contact_id: int, staff: str) -> tuple[str, BindingLink]:
    wechat_of(runtime)
    hours = runtime.settings.wechat_link_hours
    link = BindingLink(contact_id, staff, runtime.clock.now() + timedelta(hours=hours))
    return sign_binding(link, key=messaging_of(runtime).link_key), link


def read(runtime: Runtime, token: str) -> BindingLink:
    return read_binding(token, key=messaging_of(runtime).link_key, now=runtime.clock.now())


async def complete(runtime: Runtime, session: AsyncSession, *, token: str,
                   code: str) -> WechatBinding:
    """Exchange WeChat's code for the openid and store it with the consent given; audited."""
    link = read(runtime, token)
    contact = await seniors_service.get_contact(session, contact_id=link.contact_id)
    if contact is None or not contact.phones:
        raise BadBindingLink("this contact no longer exists or has no phone number")
    openid = await wechat_of(runtime).openid_for(code)
    now = runtime.clock.now()
    binding = await service.bind(session, contact_id=contact.id, phone=contact.phones[0],
                                 openid=openid, consent_text=f"{CONSENT_ZH}\n{CONSENT_EN}",
                                 sent_by=link.staff, now=now)
    await accounts_service.record_audit(
        session, actor=f"contact:{contact.id}", action="wechat.bound", subject_type="senior",
        subject_id=str(contact.senior_id), now=now,
        detail={"contact_id": contact.id, "link_sent_by": link.staff})
    return binding
