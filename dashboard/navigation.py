"""The dashboard's pages and who may open each, with the roles and feed topics the front end
knows by name: one definition, served at /api/v1/ui, so the browser never keeps its own copy."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from accounts.audiences import TOPIC_AUDIENCES
from accounts.deps import CurrentUser
from accounts.roles import ALL_ROLES, AUDIT_READERS, STAFF_ADMINS, Role
from runtime.deps import RuntimeDep

ALARM_DESK = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})
FLOOR = frozenset({Role.OPERATOR, Role.SUPERVISOR})
SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMIN})

# In the order of the navigation bar; app.js has one page module per path.
PAGES: tuple[tuple[str, frozenset[Role]], ...] = (
    ("overview", ALL_ROLES),
    ("desk", FLOOR),
    ("alarms", ALARM_DESK),
    ("incident", ALARM_DESK),
    ("calls", ALARM_DESK),
    ("phone", ALL_ROLES),
    ("seniors", ALL_ROLES),
    ("supervisor", SUPERVISION),
    ("health", ALARM_DESK),
    ("knowledge", ALL_ROLES),
    ("audit", AUDIT_READERS),
    ("staff", STAFF_ADMINS),
    ("devices", ALL_ROLES),
    ("dispatch", frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})),
    ("liveness", frozenset({Role.SUBSIDY_STAFF, Role.SUPERVISOR, Role.ADMIN})),
    ("reports", frozenset({Role.SUPERVISOR, Role.SUBSIDY_STAFF, Role.ADMIN})),
)
# Who must not miss a P1: the roles that may acknowledge alarms.
ALARM_HANDLERS = FLOOR

router = APIRouter(prefix="/api/v1/ui", tags=["dashboard"])


def _names(roles: frozenset[Role]) -> list[str]:
    return sorted(role.value for role in roles)


@router.get("")
async def definitions(user: CurrentUser, runtime: RuntimeDep) -> dict[str, Any]:
    """The pages this user may open, every role and topic by name, and the centre's time zone."""
    return {
        "timezone": runtime.settings.timezone,
        "roles": [role.value for role in Role],
        "topics": {topic: _names(roles) for topic, roles in TOPIC_AUDIENCES.items()},
        "pages": [path for path, roles in PAGES if user.role in roles],
        "alarm_handler": user.role in ALARM_HANDLERS,
    }
