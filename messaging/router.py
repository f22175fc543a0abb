"""HTTP: gateways' delivery receipts, WeChat binding links for staff, and the binding page a
family contact opens in WeChat (no staff login there; the link's signature is the key)."""

from __future__ import annotations

import hmac
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import Role
from messaging import binding, service
from messaging.exceptions import BadBindingLink
from messaging.lifespan import MessagingDep, MessagingRuntime
from messaging.links import receipt_token
from messaging.port import GatewayError
from messaging.schemas import AliyunReport, BindingLinkIn, BindingLinkOut, TencentReport
from messaging.wechat_push import signed_by_wechat, template_report
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from seniors import service as seniors_service

router = APIRouter(prefix="/api/v1/messages", tags=["messages"])
# Gateways' callbacks and the page families open in WeChat are not staff API: like Twilio's
# webhooks they stay out of the OpenAPI document (docs/http-api.md lists them).
receipts = APIRouter(prefix="/api/v1/messages/receipts", include_in_schema=False)
pages = APIRouter(include_in_schema=False)
Token = Annotated[str, Path(max_length=200)]
CallStaff = Annotated[StaffUser, Depends(require_roles(frozenset({Role.OPERATOR,
                                                                  Role.SUPERVISOR})))]


def _check_receipt(messaging: MessagingRuntime, gateway: str, token: str) -> None:
    expected = receipt_token(messaging.receipt_key, gateway)
    if not hmac.compare_digest(token, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this receipt URL is not valid")


@receipts.post("/aliyun/{token}")
async def aliyun_receipts(token: Token, reports: list[AliyunReport], runtime: RuntimeDep,
                          messaging: MessagingDep, session: SessionDep) -> dict[str, object]:
    """Alibaba Cloud's SmsReport push; answered as the gateway expects (code 0)."""
    _check_receipt(messaging, "aliyun", token)
    for report in reports:
        await service.record_receipt(
            session, gateway="aliyun", provider_id=report.biz_id, delivered=report.success,
            status=report.err_code or ("DELIVERED" if report.success else "FAILED"),
            raw=report.model_dump(mode="json"), now=runtime.clock.now())
    await session.commit()
    return {"code": 0, "msg": "成功"}


@receipts.post("/tencent/{token}")
async def tencent_receipts(token: Token, reports: list[TencentReport], runtime: RuntimeDep,
                           messaging: MessagingDep, session: SessionDep) -> dict[str, object]:
    """Tencent Cloud's SMS status callback; answered as the gateway expects (result 0)."""
    _check_receipt(messaging, "tencent", token)
    for report in reports:
        await service.record_receipt(
            session, gateway="tencent", provider_id=report.sid,
            delivered=report.report_status == "SUCCESS",
            status=report.errmsg or report.report_status, raw=report.model_dump(mode="json"),
            now=runtime.clock.now())
    await session.commit()
    return {"result": 0, "errmsg": "OK"}


def _wechat_token(runtime: Runtime, *, signature: str, timestamp: str, nonce: str) -> None:
    token = runtime.settings.wechat_server_token
    if token is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no WeChat server token configured")
    if not signed_by_wechat(token.get_secret_value(), signature=signature,
                            timestamp=timestamp, nonce=nonce):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this push is not signed by WeChat")


@receipts.get("/wechat", response_class=PlainTextResponse)
async def wechat_check(runtime: RuntimeDep, signature: str = "", timestamp: str = "",
                       nonce: str = "", echostr: str = "") -> PlainTextResponse:
    """WeChat's check of the server URL: echo ``echostr`` when the signature holds."""
    _wechat_token(runtime, signature=signature, timestamp=timestamp, nonce=nonce)
    return PlainTextResponse(echostr)


@receipts.post("/wechat", response_class=PlainTextResponse)
async def wechat_receipts(request: Request, runtime: RuntimeDep, session: SessionDep,
                          signature: str = "", timestamp: str = "",
                          nonce: str = "") -> PlainTextResponse:
    """WeChat's pushes: a template message's delivery report is stored; others are ignored.
    WeChat expects "success" (or an empty body)."""
    _wechat_token(runtime, signature=signature, timestamp=timestamp, nonce=nonce)
    report = template_report(await request.body())
    if report is not None:
        await service.record_receipt(
            session, gateway="wechat", provider_id=report.msgid, delivered=report.delivered,
            status=report.status, raw={"msgid": report.msgid, "status": report.status},
            now=runtime.clock.now())
        await session.commit()
    return PlainTextResponse("success")


@router.post("/wechat-links", status_code=201)
async def wechat_link(body: BindingLinkIn, user: CallStaff, runtime: RuntimeDep,
                      session: SessionDep) -> BindingLinkOut:
    """A signed link (and its QR code) for a family contact to bind their WeChat."""
    contact = await seniors_service.get_contact(session, contact_id=body.contact_id)
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no contact {body.contact_id}")
    if not contact.phones:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY,
                            f"contact {contact.id} has no phone number to bind")
    try:
        token, link = binding.issue_link(runtime, contact_id=contact.id, staff=user.username)
    except BadBindingLink as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    await accounts_service.record_audit(
        session, actor=user.username, action="wechat.link", subject_type="senior",
        subject_id=str(contact.senior_id), now=runtime.clock.now(),
        detail={"contact_id": contact.id})
    await session.commit()
    url = binding.link_url(runtime, token)
    return BindingLinkOut(url=url, qr_svg=binding.qr_svg(url), expires_at=link.expires_at)


def _page(title: str, body: str, *, code: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title></head><body>{body}</body></html>", status_code=code)


def _refused(error: Exception) -> HTMLResponse:
    return _page("12349", f"<p>{escape(str(error))}</p>", code=status.HTTP_400_BAD_REQUEST)


@pages.get("/wechat/bind/{token}", response_class=HTMLResponse)
async def bind_page(token: Token, runtime: RuntimeDep) -> HTMLResponse:
    """What the contact agrees to, in both languages, and one button."""
    try:
        binding.read(runtime, token)
    except BadBindingLink as error:
        return _refused(error)
    return _page("12349 微信通知 WeChat notices", (
        f"<h1>12349 微信通知</h1><p>{escape(binding.CONSENT_ZH)}</p>"
        f'<p lang="en">{escape(binding.CONSENT_EN)}</p>'
        f'<p><a class="button" href="/wechat/bind/{escape(token)}/agree">'
        f"同意并绑定 Agree and bind</a></p>"))


@pages.get("/wechat/bind/{token}/agree")
async def agree(token: Token, runtime: RuntimeDep) -> RedirectResponse:
    """The contact agreed: WeChat now tells us who they are (OAuth, snsapi_base). A link,
    not a form: the pages' CSP (form-action 'self') would stop a form's redirect to WeChat;
    the consent is stored only when WeChat sends the contact back."""
    try:
        binding.read(runtime, token)
        wechat = binding.wechat_of(runtime)
    except BadBindingLink as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(error)) from error
    target = wechat.authorize_url(redirect_uri=f"{binding.link_url(runtime, token)}/done",
                                  state="agreed")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


@pages.get("/wechat/bind/{token}/done", response_class=HTMLResponse)
async def bound(token: Token, runtime: RuntimeDep, session: SessionDep, code: str = "",
                state: str = "") -> HTMLResponse:
    """WeChat's redirect with the OAuth code: store the openid with the consent given."""
    if not code or state != "agreed" or len(code) > 128:
        return _refused(BadBindingLink("WeChat did not confirm who you are; open the link "
                                       "again and press the button"))
    try:
        await binding.complete(runtime, session, token=token, code=code)
    except (BadBindingLink, GatewayError) as error:
        return _refused(error)
    await session.commit()
    return _page("12349", "<h1>已绑定</h1><p>今后的通知将通过微信发送给您。</p>"
                          '<p lang="en">Bound: notices will now come to you on WeChat.</p>')
