"""Retention and roll-ups: raw readings summarised by hour and day, old rows dropped."""
