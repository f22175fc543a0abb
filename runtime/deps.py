"""FastAPI dependencies for the runtime and a database session per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, status
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from runtime.context import Runtime
from runtime.parts import Part, PartNotRunningError

T = TypeVar("T")


def get_runtime(connection: HTTPConnection) -> Runtime:
    runtime: Runtime = connection.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def part_dependency(part: Part[T]) -> Callable[[Runtime], T]:
    """A FastAPI dependency that hands a route ``part``'s runtime (503 when it is not open),
    for aliases like ``DispatchDep = Annotated[DispatchRuntime, Depends(part_dependency(…))]``."""

    def dependency(runtime: RuntimeDep) -> T:
        try:
            return runtime.part(part)
        except PartNotRunningError as error:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                                f"{part.name} is not running") from error

    return dependency
