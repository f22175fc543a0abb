"""Alarms: raised from device events and rules, owned and resolved by operators."""
