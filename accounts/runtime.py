"""What the log-in route keeps between requests: the hashing slots and the address buckets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from accounts.passwords import PasswordWork
from accounts.throttle import LoginRate, LoginThrottle
from runtime.context import Runtime
from runtime.deps import part_dependency
from runtime.parts import Part


@dataclass(frozen=True)
class AccountsRuntime:
    hashing: PasswordWork
    throttle: LoginThrottle


@asynccontextmanager
async def open_accounts(runtime: Runtime) -> AsyncIterator[AccountsRuntime]:
    settings = runtime.settings
    yield AccountsRuntime(
        hashing=PasswordWork(settings.password_hash_workers),
        throttle=LoginThrottle(LoginRate(per_minute=settings.login_rate_per_minute,
                                         burst=settings.login_rate_burst)),
    )


ACCOUNTS = Part("accounts", open_accounts)
AccountsDep = Annotated[AccountsRuntime, Depends(part_dependency(ACCOUNTS))]
