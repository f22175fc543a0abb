"""The database a bench runs on: a SQLite file in its scratch folder (the default), a URL
given with ``--database-url``, or a throwaway PostgreSQL server with ``--postgres``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from devices import mosquitto
from storage.throwaway_postgres import ThrowawayPostgres

DatabaseUrlOption = Annotated[str | None, typer.Option(
    help="run on this (empty) database, e.g. postgresql+asyncpg://anxin@127.0.0.1/bench")]
PostgresOption = Annotated[bool, typer.Option(
    help="run on a throwaway PostgreSQL server on a loopback port (stopped at the end)")]


@contextmanager
def bench_database(database_url: str | None, *, postgres: bool) -> Iterator[str | None]:
    """The URL to run on; None means the default SQLite file in the bench's data folder."""
    if database_url or not postgres:
        yield database_url
        return
    server = ThrowawayPostgres(port=mosquitto.free_port())
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def backend_name(database_url: str | None) -> str:
    """``sqlite`` or ``postgresql``: which database a result was measured on."""
    return make_url(database_url).get_backend_name() if database_url else "sqlite"
