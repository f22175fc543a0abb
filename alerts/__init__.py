"""Supervisor alerts: what the system itself needs a supervisor to see and close."""
