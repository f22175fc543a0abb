"""Shared fixtures: a real database per test (a SQLite file, or PostgreSQL with
``--database=postgresql``), the app with its lifespan, logged-in clients."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright
from pydantic import SecretStr
from sqlalchemy.engine import URL, make_url

from accounts import service as accounts_service
from accounts.roles import Role
from config.settings import Settings
from dashboard.app import create_app
from runtime.clock import ManualClock
from runtime.context import Runtime
from storage.throwaway_postgres import ThrowawayPostgres, memory_root
from tests import databases

TEST_PASSWORD = "correct horse battery staple"
# A developer's own PostgreSQL server (a URL of a database the tests may create databases from);
# without it the tests start a throwaway server of their own.
TEST_DATABASE_URL_ENV = "ANXIN_TEST_DATABASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    databases.add_option(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{databases.SQLITE_ONLY}(reason): a test about SQLite "
                            "itself (the write gate, the inline driver, the file); skipped on "
                            "the PostgreSQL pass")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    databases.skip_sqlite_only(config, items)


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> databases.Backend:
    """The database this pass runs on (``--database``): sqlite or postgresql."""
    return databases.backend(request.config)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[URL]:
    """A PostgreSQL server for the whole run: the developer's, or a throwaway one on loopback."""
    given = os.environ.get(TEST_DATABASE_URL_ENV)
    if given:
        yield make_url(given)
        return
    # In memory: every test copies and drops a database, which a busy disk makes slow.
    server = ThrowawayPostgres(port=free_port(), root=memory_root())
    url = server.start()
    try:
        yield make_url(url)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: URL) -> Iterator[URL]:
    """One migrated database per run that each test's database is copied from."""
    template = databases.migrated_template(postgres_server)
    yield template
    databases.drop_database(postgres_server, template)


@pytest.fixture
def postgres_url(postgres_server: URL) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped after it."""
    database = databases.new_database(postgres_server)
    yield database.render_as_string(hide_password=False)
    databases.drop_database(postgres_server, database)


@pytest.fixture
def migrated_postgres_url(postgres_server: URL, postgres_template: URL) -> Iterator[str]:
    """A PostgreSQL database for one test with every migration applied (a template's copy)."""
    database = databases.new_database(postgres_server, template=postgres_template.database)
    yield database.render_as_string(hide_password=False)
    databases.drop_database(postgres_server, database)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, backend: databases.Backend,
                 tmp_path: Path) -> str:
    """This pass's database for one test: a SQLite file in its data directory, or a migrated
    PostgreSQL database. The ``settings`` fixture uses it; a test that builds its own
    settings or runs ``anxin`` in a child process passes it on (ANXIN_DATABASE_URL)."""
    if backend == "postgresql":
        url: str = request.getfixturevalue("migrated_postgres_url")
        return url
    return f"sqlite+aiosqlite:///{(tmp_path / 'var' / 'anxin.db').resolve()}"


@pytest.fixture
def settings(tmp_path: Path, backend: databases.Backend, database_url: str) -> Settings:
    """Settings for one test: its own data directory and database, a real secret."""
    return Settings(
        data_dir=tmp_path / "var",
        # On SQLite the default (the file in the data directory) is what production uses.
        database_url=database_url if backend == "postgresql" else None,
        secret_key=SecretStr(secrets.token_urlsafe(40)),
        biometric_key=SecretStr(secrets.token_urlsafe(40)),
        login_failure_delay_seconds=0.0,
        demo=False,
        telephony="simulator",  # asked for by name: outside demo mode it is off by default
        mqtt_enabled=False,  # devices tests start their own broker
        settle_heap=False,  # a full collection of the test process at every app start
    )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    """The application with its lifespan running (database migrated, background tasks up)."""
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    value: Runtime = app.state.runtime
    return value


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that goes through the whole app, middleware and all."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://anxin.test") as http:
        yield http


LoginAs = Callable[[Role], Awaitable[dict[str, str]]]


@pytest.fixture
def login_as(runtime: Runtime, client: httpx.AsyncClient) -> LoginAs:
    """Create a staff user with the role (once) and return bearer headers for it."""

    async def login(role: Role) -> dict[str, str]:
        username = f"test_{role.value}"
        async with runtime.sessions() as session:
            if await accounts_service.get_user_by_username(session, username) is None:
                await accounts_service.create_user(
                    session, username=username, display_name=f"Test {role.value}", role=role,
                    password=TEST_PASSWORD, now=runtime.clock.now(),
                )
                await session.commit()
        response = await client.post("/api/v1/auth/login",
                                     json={"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return login


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """The app served by uvicorn on a loopback port, for WebSocket and browser tests."""

    app: FastAPI
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Runtime:
        value: Runtime = self.app.state.runtime
        return value


@contextlib.asynccontextmanager
async def uvicorn_running(server: uvicorn.Server, sockets: list[socket.socket] | None = None
                          ) -> AsyncIterator[None]:
    """Serve while the block runs: started (or its start-up error raised) before it, stopped
    and awaited after it."""
    task = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await task


async def serve(application: FastAPI) -> AsyncIterator[LiveServer]:
    port = free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", ws_ping_interval=None)
    async with uvicorn_running(uvicorn.Server(config)):
        yield LiveServer(application, port)


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    """A real server on the wall clock (browser tests need time to pass)."""
    async for server in serve(create_app(settings)):
        yield server


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():  # noqa: ASYNC240 (one stat before the browser starts)
        pytest.fail("Debian's chromium is missing: run scripts/setup --system as root")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                    args=CHROMIUM_ARGS)
        yield launched
        await launched.close()
