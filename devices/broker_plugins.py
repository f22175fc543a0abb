"""amqtt plugins for the embedded broker: log-in against the registry's credentials file, and
per-device topic permissions (a device may publish only under its own id).

The app rewrites the file whenever a device is provisioned or retired; the plugins re-read it
when its modification time changes, so a new device can connect without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from amqtt.contexts import Action, BaseContext
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from devices.credentials import BrokerUser, read_credentials_file, verify_password
from devices.topics import INTERNAL_PREFIX, PREFIX, Channel, topic_for

SERVICE_CLIENT_PREFIX = "anxin-"


class CredentialsCache:
    """The credentials file, read again only when it changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: float | None = None
        self._users: dict[str, BrokerUser] = {}

    def user(self, username: str | None) -> BrokerUser | None:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if stamp != self._stamp:
            self._users = read_credentials_file(self.path)
            self._stamp = stamp
        return self._users.get(username or "")


_caches: dict[Path, CredentialsCache] = {}


def _cache(path: str) -> CredentialsCache:
    key = Path(path)
    return _caches.setdefault(key, CredentialsCache(key))


def may_connect(user: BrokerUser | None, *, client_id: str | None, password: str | None) -> bool:
    """Right password, and a device's client id is its username."""
    if user is None or password is None or not verify_password(user.password_hash, password):
        return False
    if user.is_service:
        return (client_id or "").startswith(SERVICE_CLIENT_PREFIX)
    return client_id == user.username


def may_use_topic(user: BrokerUser | None, *, topic: str, action: Action) -> bool:
    """The service may do anything under the prefixes; a device only its own topics."""
    if user is None:
        return False
    if user.is_service:
        return topic.startswith((f"{PREFIX}/", f"{INTERNAL_PREFIX}/", "$SYS/"))
    ack = topic_for(user.username, Channel.ACK)
    if action is Action.PUBLISH:
        own = {topic_for(user.username, c) for c in (Channel.TELEMETRY, Channel.EVENT,
                                                      Channel.STATUS)}
        return topic in own
    return topic == ack


class RegistryAuthPlugin(BaseAuthPlugin):
    """CONNECT is allowed only with a registered username, its password and client id."""

    @dataclass
    class Config:
        credentials_file: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.credentials_file: str = self.config.credentials_file

    async def authenticate(self, *, session: Session) -> bool | None:
        user = _cache(self.credentials_file).user(session.username)
        return may_connect(user, client_id=session.client_id, password=session.password)


class DeviceTopicPlugin(BaseTopicPlugin):
    """Publishing, subscribing and receiving are limited to the client's own topics."""

    @dataclass
    class Config:
        credentials_file: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.credentials_file: str = self.config.credentials_file

    async def topic_filtering(self, *, session: Session | None = None, topic: str | None = None,
                              action: Action | None = None) -> bool | None:
        if session is None or topic is None or action is None:
            return False
        user = _cache(self.credentials_file).user(session.username)
        return may_use_topic(user, topic=topic, action=action)
