"""The staff roles and what each route family allows them to do."""

from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    DISPATCHER = "dispatcher"
    SUBSIDY_STAFF = "subsidy_staff"
    ADMIN = "admin"


ALL_ROLES = frozenset(Role)
# Who may look at seniors' records: everyone who serves them.
SENIOR_READERS = ALL_ROLES
# Who may create and change a senior's record.
SENIOR_EDITORS = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.SUBSIDY_STAFF, Role.ADMIN})
STAFF_ADMINS = frozenset({Role.ADMIN})
AUDIT_READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
METRICS_READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
