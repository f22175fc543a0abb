"""Who may see each live-feed topic: one table that the bus's publishers use and the feed
hands to the front end (admin sees every topic).

A topic's audience is the roles whose work needs it, never wider than who may read the same
thing over HTTP. Publishing a topic that is not in the table fails, so a new topic cannot go
out to everyone by accident.
"""

from __future__ import annotations

from accounts.roles import ALL_ROLES, Role

FLOOR = frozenset({Role.OPERATOR, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})
ADMINS = frozenset({Role.ADMIN})
ORDER_BOARD = frozenset({Role.OPERATOR, Role.DISPATCHER, Role.SUPERVISOR})
DISPATCH_DESK = frozenset({Role.DISPATCHER, Role.SUPERVISOR})
LIVENESS_DESK = frozenset({Role.SUBSIDY_STAFF, Role.SUPERVISOR})

TOPIC_AUDIENCES: dict[str, frozenset[Role]] = {
    # alarms: the operators who answer them and their supervisors
    "alarm.raised": FLOOR,
    "alarm.updated": FLOOR,
    "alarm.acknowledged": FLOOR,
    "alarm.resolved": FLOOR,
    "alarm.escalated": FLOOR,  # level 3 narrows to supervisors at the call site
    # calls carry callers' full numbers
    "call.updated": FLOOR,
    "call.case": FLOOR,
    # the simulator's phone page (demo): stands in for the callers' own phones
    "phone.actions": FLOOR,
    "phone.ringing": FLOOR,
    "phone.sms": FLOOR,
    # messages (messaging/): a notice's state (sent, failed) for the operators on the case
    "message.updated": FLOOR,
    "routing.assigned": FLOOR,
    "routing.offer": FLOOR,
    "routing.withdrawn": FLOOR,
    # cluster: another instance changed the stored desk (the one in charge reloads it)
    "routing.desk_changed": SUPERVISORS,
    # the service's own trouble (alerts/): an emergency nobody took is the floor's business
    "alert.changed": FLOOR,
    "ingest.health": SUPERVISORS,
    "feed.health": SUPERVISORS,
    "incident.updated": FLOOR,
    # every role serves seniors and reads their names over HTTP
    "senior.created": ALL_ROLES,
    "senior.updated": ALL_ROLES,
    "senior.archived": ALL_ROLES,
    "device.provisioned": ALL_ROLES,
    "device.event": FLOOR,  # SOS and falls: alarm work
    "order.changed": ORDER_BOARD,
    "dispatch.alert": DISPATCH_DESK,
    "liveness.decision": LIVENESS_DESK,
    # a staff session ended (logout, revocation): open feeds of that user re-check at once
    "session.ended": ADMINS,
}


def audience(topic: str) -> frozenset[str]:
    """The roles that may see ``topic``; KeyError names a topic missing from the table."""
    try:
        return frozenset(role.value for role in TOPIC_AUDIENCES[topic])
    except KeyError:
        raise KeyError(f"live-feed topic {topic!r} has no audience in accounts/audiences.py") \
            from None


def topics_for(role: str) -> list[str]:
    """Every topic ``role`` receives, for the front end to know what it will hear."""
    return sorted(topic for topic, roles in TOPIC_AUDIENCES.items()
                  if role == Role.ADMIN or role in roles)
