"""The incident's vocabulary as data: states, how one was opened, what its timeline holds.

Dispositions are the alarms' own (``alarms.kinds.Disposition``), so closing an incident and
resolving its alarms speak the same words in reports.
"""

from __future__ import annotations

from enum import StrEnum

from alarms.kinds import Disposition

__all__ = ["Disposition", "EntryKind", "IncidentState", "OpenedVia"]


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class OpenedVia(StrEnum):
    ALARM = "alarm"  # an operator acknowledged an alarm
    CALL = "call"  # an operator answered a call from or about the senior
    MANUAL = "manual"  # an operator opened one by hand


class EntryKind(StrEnum):
    """What an incident entry records; links carry the id of what they link in ``ref_id``."""

    OPENED = "opened"
    ALARM = "alarm"
    CALL = "call"
    NOTE = "note"
    CONTACT = "contact"  # a contact reached (or not) outside a recorded call
    ORDER = "order"
    OWNER = "owner"
    CLOSED = "closed"


LINK_KINDS = frozenset({EntryKind.ALARM, EntryKind.CALL, EntryKind.ORDER})
