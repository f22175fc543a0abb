"""Devices: the registry of wearables and sensors, and the MQTT bridge that ingests them."""
