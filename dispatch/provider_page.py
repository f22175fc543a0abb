"""The provider's side: a phone-sized page behind a signed, expiring link, and the same actions
as JSON for providers' own systems. No staff login here; the link's signature is the key."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from dispatch import flows, orders
from dispatch.catalogue import CATALOGUE, ServiceCode
from dispatch.exceptions import BadLink, DispatchError
from dispatch.flows import DispatchDep, DispatchRuntime
from dispatch.models import Offer, ServiceOrder
from dispatch.router import translated
from dispatch.schemas import OrderOut, ProviderAction, ProviderActionIn
from dispatch.signing import ProviderLink, read_link
from runtime.context import Runtime
from runtime.deps import RuntimeDep, SessionDep
from runtime.refusals import REFUSALS, code_of

router = APIRouter(tags=["provider page"])

# What the provider may press in each order state (accept/decline need an open offer).
ACCEPT = (ProviderAction.ACCEPT, "接单 Accept")
DECLINE = (ProviderAction.DECLINE, "拒绝 Decline")
ON_MY_WAY = (ProviderAction.EN_ROUTE, "出发 On my way")
ARRIVED = (ProviderAction.ARRIVE, "已到达 Arrived")
ABORT = (ProviderAction.ABORT, "无法前往 Abort")
DONE = (ProviderAction.COMPLETE, "完成 Completed")
NOT_DONE = (ProviderAction.COULD_NOT_COMPLETE, "未能完成 Could not complete")
# The order's state in the provider's words (the page shows Chinese and English together).
STATE_WORDS: dict[str, str] = {
    "created": "新建 New", "matching": "正在派单 Finding a provider", "offered": "待接单 Offered",
    "accepted": "已接单 Accepted", "en_route": "在路上 On the way", "on_site": "已到达 On site",
    "completed": "已完成 Completed", "rated": "已评价 Rated",
    "escalated": "已转人工 With the centre",
    "cancelled": "已取消 Cancelled", "follow_up": "待回访 Follow-up",
    "closed": "已由他人承接或已结束 Taken by someone else, or closed",
}
BUTTONS: dict[str, tuple[tuple[ProviderAction, str], ...]] = {
    "offered": (ACCEPT, DECLINE),
    "accepted": (ON_MY_WAY, ARRIVED, ABORT),
    "en_route": (ARRIVED, ABORT),
    "on_site": (DONE, NOT_DONE),
}


def _link(runtime: Runtime, dispatch: DispatchRuntime, token: str) -> ProviderLink:
    with translated():
        return read_link(token, key=dispatch.policy.link_key, now=runtime.clock.now())


def _bad_link_page(error: HTTPException | BadLink) -> HTMLResponse:
    """A refused link as a page in words, not the API's JSON: what happened, what to do."""
    status_code = getattr(error, "status_code", status.HTTP_403_FORBIDDEN)
    cause = error if isinstance(error, BadLink) else error.__cause__
    words = REFUSALS[code_of(cause, status_code)]
    body = (f'<p class="message" id="message" role="alert">{escape(words.zh)}</p>'
            f'<p lang="en">{escape(words.en)}</p>'
            '<p>如有疑问请致电 12349 服务中心。<span lang="en">Questions: call 12349.</span></p>')
    return HTMLResponse(_document("链接无效 Link not valid", body), status_code=status_code)


def _local(moment: datetime, zone: str, pattern: str) -> str:
    """A time on the centre's clock, as the provider's phone would show it there."""
    return moment.astimezone(ZoneInfo(zone)).strftime(pattern)


# A bad link answers a page in words, not the API's JSON.
BAD_LINK_PAGE: dict[int | str, dict[str, object]] = {403: {
    "description": "The link is tampered with or expired: a page saying to call 12349",
    "content": {"text/html": {"schema": {"type": "string"}}}}}


@router.get("/p/{token}", response_class=HTMLResponse, responses=BAD_LINK_PAGE)
async def provider_page(
    token: str, runtime: RuntimeDep, dispatch: DispatchDep, session: SessionDep,
    message: str = ""
) -> Response:
    try:
        link = _link(runtime, dispatch, token)
    except HTTPException as error:
        return _bad_link_page(error)
    with translated():
        order = await orders.get_order(session, link.order_id)
    offer = await session.scalar(
        select(Offer).where(
            Offer.order_id == order.id,
            Offer.provider_id == link.provider_id,
            Offer.state == "offered",
            Offer.expires_at > runtime.clock.now(),
        )
    )
    return HTMLResponse(render_page(token, order, offer, link.provider_id, message,
                                    zone=runtime.settings.dispatch_timezone))


@router.post("/p/{token}", responses=BAD_LINK_PAGE)
async def provider_form(
    token: str,
    runtime: RuntimeDep,
    dispatch: DispatchDep,
    action: Annotated[ProviderAction, Form()],
    offer_token: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        link = _link(runtime, dispatch, token)
    except HTTPException as error:
        return _bad_link_page(error)
    message = "已记录 Done"
    try:
        await flows.provider_acts(
            runtime,
            order_id=link.order_id,
            provider_id=link.provider_id,
            action=action,
            offer_token=offer_token,
            note=note,
        )
    except BadLink as error:
        return _bad_link_page(error)
    except DispatchError as error:  # the refusal in words (both languages), not the English
        words = REFUSALS[code_of(error, status.HTTP_409_CONFLICT)]
        message = f"{words.zh} {words.en}"
    return RedirectResponse(
        f"/p/{token}?message={quote(message)}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post("/p/{token}/actions")
async def provider_action(token: str, body: ProviderActionIn, runtime: RuntimeDep,
                          dispatch: DispatchDep) -> OrderOut:
    """For providers' own systems: the link from the webhook, and a JSON action."""
    link = _link(runtime, dispatch, token)
    with translated():
        order = await flows.provider_acts(
            runtime,
            order_id=link.order_id,
            provider_id=link.provider_id,
            action=body.action,
            offer_token=body.offer_token,
            note=body.note,
            latitude=body.latitude,
            longitude=body.longitude,
        )
    return OrderOut.model_validate(order)


def render_page(
    token: str, order: ServiceOrder, offer: Offer | None, provider_id: int, message: str, *,
    zone: str,
) -> str:
    kind = CATALOGUE[ServiceCode(order.service)]
    mine = order.provider_id == provider_id
    state = order.state if (mine or offer is not None) else "closed"
    buttons = BUTTONS.get(state, ()) if (offer is not None or mine) else ()
    forms = "".join(
        f'<form method="post" action="/p/{escape(token)}">'
        f'<input type="hidden" name="action" value="{a.value}">'
        f'<input type="hidden" name="offer_token" value="{escape(offer.token if offer else "")}">'
        + (
            f'<label for="note-{a.value}">备注 Note</label>'
            f'<textarea id="note-{a.value}" name="note"></textarea>'
            if a
            in (ProviderAction.COMPLETE, ProviderAction.COULD_NOT_COMPLETE, ProviderAction.ABORT)
            else ""
        )
        + f'<button data-action="{a.value}">{escape(label)}</button></form>'
        for a, label in buttons
    )
    expiry = (
        f'<p>请于 <time id="reply-by">{_local(offer.expires_at, zone, "%H:%M")}</time> 前答复'
        ' <span lang="en">Reply by then</span></p>'
        if offer is not None
        else ""
    )
    due = _local(order.due_by, zone, "%m-%d %H:%M")
    state_words = escape(STATE_WORDS.get(state, state))
    english_name = f'<span lang="en">{escape(kind.name_en)}</span>'
    body = f"""<h1>订单 #{order.id}：{escape(kind.name_zh)} {english_name}</h1>
{f'<p class="message" id="message">{escape(message)}</p>' if message else ""}
<p>状态 State: <span class="state" id="state" data-state="{escape(state)}">{state_words}</span></p>
<p>{escape(order.district)} · 须于 <time id="due-by">{due}</time> 前到达
<span lang="en">Arrive by then</span></p>
{f"<p>{escape(order.notes)}</p>" if order.notes else ""}
{expiry}{forms}"""
    return _document(f"订单 #{order.id} · 12349", body)


def _document(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:32rem;color:#1d2733}}
h1{{font-size:1.3rem}} .state{{font-weight:bold}} .message{{background:#fff4d6;padding:.5rem}}
form{{margin:.6rem 0}} button{{width:100%;padding:1rem;font-size:1.1rem;border-radius:.5rem}}
label{{display:block}}
textarea{{width:100%;min-height:4rem;margin-bottom:.4rem;box-sizing:border-box}}
</style></head><body><main>
{body}
</main></body></html>"""
