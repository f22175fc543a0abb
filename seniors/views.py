"""What of a senior's record each role sees: one table, role → view.

The resident ID is shown whole only where the work needs it: subsidy staff certify
entitlements against it, and admins keep the registry. Everyone else gets the masked ID and
the age; the birth date goes with the ID, as it is exactly the part the mask hides. Medical
notes are for the operators and supervisors who handle alarms and calls; dispatchers need
the address, phones and contacts to send help, not the ID or health; subsidy staff need the
ID and consents, not health.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import Role


@dataclass(frozen=True, slots=True)
class RecordView:
    """Which guarded parts of the record a role receives (the rest is shown to all readers)."""

    name: str
    resident_id: bool  # the full ID and the birth date
    medical_notes: bool
    consents: bool


CARE = RecordView("care", resident_id=False, medical_notes=True, consents=True)
SERVICE = RecordView("service", resident_id=False, medical_notes=False, consents=False)
SUBSIDY = RecordView("subsidy", resident_id=True, medical_notes=False, consents=True)
FULL = RecordView("full", resident_id=True, medical_notes=True, consents=True)

VIEWS: dict[Role, RecordView] = {
    Role.OPERATOR: CARE,
    Role.SUPERVISOR: CARE,
    Role.DISPATCHER: SERVICE,
    Role.SUBSIDY_STAFF: SUBSIDY,
    Role.ADMIN: FULL,
}


def view_for(role: str) -> RecordView:
    """The role's view; an unknown role gets the narrowest one."""
    try:
        return VIEWS[Role(role)]
    except (ValueError, KeyError):
        return SERVICE


def audited(view: RecordView) -> dict[str, object]:
    """What a read's audit entry records about what was shown."""
    return {"view": view.name, "resident_id": view.resident_id,
            "medical_notes": view.medical_notes}
