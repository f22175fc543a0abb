"""The "3G watch" TCP protocol: a gateway that turns watch frames into the MQTT contract."""
