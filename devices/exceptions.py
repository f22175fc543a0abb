"""Errors of the devices domain."""


class DeviceNotFoundError(Exception):
    """No device has this id."""

    def __init__(self, device_id: str) -> None:
        super().__init__(f"device {device_id!r} not found")
        self.device_id = device_id


class DeviceIdTakenError(Exception):
    """A device with this id is already registered."""


class UnknownDeviceModelError(Exception):
    """The model is not in the device catalogue."""


class PayloadError(Exception):
    """A message that cannot be read; the text is the reason stored with the dead letter."""


class BrokerReloadError(Exception):
    """The external Mosquitto could not be told to re-read its password and ACL files."""


class DeviceEditError(Exception):
    """A device change that is not allowed (the text names the problem)."""


class PhoneNumberTakenError(Exception):
    """Another device already has this SIM phone number."""


class IngestStalledError(Exception):
    """The ingest is connected but not consuming (nothing received, or the subscription
    refused); it reconnects. The text is the reason shown by /readyz."""


class ReservedDeviceIdError(Exception):
    """The device id is one of the names reserved for Anxin's own broker clients."""


class CommandError(ValueError):
    """A watch command's arguments do not fit it; the text names the problem."""


class CommandNotAllowedError(Exception):
    """The user's role may not send this watch command."""
