"""Contact-centre KPIs computed from stored calls and alarms, for any interval."""
