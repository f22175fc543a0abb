"""Demo staff accounts, all sharing the demo password."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from accounts import service
from accounts.roles import Role
from config.settings import Settings

# (username, display name, role, the centres they work for)
DEMO_ACCOUNTS: tuple[tuple[str, str, Role, tuple[str, ...]], ...] = (
    ("admin", "系统管理员", Role.ADMIN, ("region",)),
    ("supervisor1", "值班长 王丽", Role.SUPERVISOR, ("region",)),
    ("operator1", "值班员 李娜", Role.OPERATOR, ("hohhot",)),
    ("operator2", "值班员 张伟", Role.OPERATOR, ("hohhot",)),
    ("dispatcher1", "派单员 刘强", Role.DISPATCHER, ("hohhot",)),
    ("subsidy1", "补贴经办 赵敏", Role.SUBSIDY_STAFF, ("hohhot",)),
    ("erlian1", "二连浩特值班员 巴特尔", Role.OPERATOR, ("erenhot",)),
    ("manzhouli1", "满洲里值班员 其其格", Role.OPERATOR, ("manzhouli",)),
)


def demo_password(settings: Settings) -> str:
    """ANXIN_DEMO_PASSWORD, or a generated one kept in the data directory."""
    if settings.demo_password is not None:
        return settings.demo_password.get_secret_value()
    path: Path = settings.data_dir / "demo-password"
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(9)
    path.write_text(password)
    path.chmod(0o600)
    return password


async def seed_accounts(session: AsyncSession, *, settings: Settings,
                        now: datetime) -> list[str]:
    """Create the demo accounts that are missing; returns the usernames created."""
    password = demo_password(settings)
    created = []
    for username, display_name, role, centres in DEMO_ACCOUNTS:
        if await service.get_user_by_username(session, username) is None:
            await service.create_user(session, username=username, display_name=display_name,
                                      role=role, password=password, now=now, centres=centres)
            created.append(username)
    return created
