"""Staff users, roles, log-in sessions and the audit trail."""
