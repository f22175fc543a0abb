"""Applying Alembic migrations from code (``anxin db upgrade`` and start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(rev)s")
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to the newest revision of every branch."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_sync, str(engine.url.render_as_string(False)))


def _upgrade_sync(connection: Connection, url: str) -> None:
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, "heads")


def upgrade_sql(url: str) -> str:
    """The SQL the migrations would run against ``url`` (offline mode), as text."""
    import io

    buffer = io.StringIO()
    config = alembic_config(url)
    config.output_buffer = buffer
    command.upgrade(config, "heads", sql=True)
    return buffer.getvalue()
