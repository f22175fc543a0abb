"""Seniors, their emergency contacts and consent records."""
