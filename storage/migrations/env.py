"""Alembic environment: runs on the connection handed over by storage.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Column, MetaData, String, Table, inspect
from sqlalchemy.engine import Connection

import storage.models  # noqa: F401  (registers every table on the metadata)
from storage.base import Base

target_metadata = Base.metadata


def include_object(obj: object, name: str | None, kind: str, reflected: bool,
                   compare_to: object) -> bool:
    """Leave alone tables that migrations make by hand (the FTS5 index and its shadows)."""
    return not (kind == "table" and reflected and compare_to is None
                and (name or "").startswith("policy_search"))


def run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def _wide_version_table(connection: Connection) -> None:
    """Make Alembic's version table with room for this project's revision ids.

    Alembic makes it VARCHAR(32), and ids such as ``0303_devices_broker_dead_letter_floods``
    are longer: SQLite never checks the length, PostgreSQL refuses the insert.
    """
    if not inspect(connection).has_table("alembic_version"):
        Table("alembic_version", MetaData(),
              Column("version_num", String(128), primary_key=True)).create(connection)


def run_online(connection: Connection) -> None:
    _wide_version_table(connection)
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online(context.config.attributes["connection"])
