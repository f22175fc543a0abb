"""Incidents: the operator's case for one situation of one senior."""
