"""Calls as the API shows them, with the people on them by display name.

A call stores accounts (``operator``, ``requested_by``, ``answered:<account>`` in its path); a
page shows names. The names are looked up here, once per answer, so no page turns an account
into a name itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service as accounts_service
from callcenter.models import CallLeg
from callcenter.schemas import CallOut, IvrStepOut

# Path steps a person took, as ``<code>:<account>`` (service.answer_call writes them).
PERSON_STEPS = frozenset({"answered"})


def call_out(call: CallLeg, names: Mapping[str, str] | None = None) -> CallOut:
    """The call as the API shows it; with ``names`` (display name by account, from
    ``call_views``) the people on it by name. An account with no name keeps its username."""
    view = CallOut.model_validate(call)
    if names is None:
        return view
    return view.model_copy(update={
        "operator_name": _name(names, call.operator), "ivr_steps": ivr_steps(call.ivr_path, names),
        "requested_by_name": _name(names, call.requested_by)})


def ivr_steps(path: Sequence[str], names: Mapping[str, str]) -> list[IvrStepOut]:
    steps = []
    for step in path:
        code, _, account = step.partition(":")
        if code in PERSON_STEPS and account:
            steps.append(IvrStepOut(code=code, person=names.get(account, account)))
        else:
            steps.append(IvrStepOut(code=step))
    return steps


async def call_views(session: AsyncSession, calls: Iterable[CallLeg]) -> list[CallOut]:
    """Calls with the people on them by display name, looked up once for all of them."""
    calls = list(calls)
    names = await accounts_service.display_names(session, _accounts_of(calls))
    return [call_out(call, names) for call in calls]


async def call_view(session: AsyncSession, call: CallLeg) -> CallOut:
    return (await call_views(session, [call]))[0]


def _accounts_of(calls: Sequence[CallLeg]) -> set[str]:
    found = {u for call in calls for u in (call.operator, call.requested_by) if u}
    for call in calls:
        for step in call.ivr_path:
            code, _, account = step.partition(":")
            if code in PERSON_STEPS and account:
                found.add(account)
    return found


def _name(names: Mapping[str, str], account: str | None) -> str | None:
    return None if account is None else names.get(account, account)
