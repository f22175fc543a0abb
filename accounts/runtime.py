"""What the log-in route keeps between requests: the hashing slots and the address buckets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from accounts.passwords import PasswordWork
from accounts.throttle import LoginRate, LoginThrottle
from runtime.context import Runtime


@dataclass(frozen=True)
class AccountsRuntime:
    hashing: PasswordWork
    throttle: LoginThrottle


@asynccontextmanager
async def open_accounts(runtime: Runtime) -> AsyncIterator[None]:
    settings = runtime.settings
    runtime.accounts = AccountsRuntime(
        hashing=PasswordWork(settings.password_hash_workers),
        throttle=LoginThrottle(LoginRate(per_minute=settings.login_rate_per_minute,
                                         burst=settings.login_rate_burst)),
    )
    yield
