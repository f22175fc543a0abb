"""Scope filtering in one place: every ORM select of a table that carries an area (or
belongs to a senior) is narrowed to the caller's areas (runtime/scope.py).

A table joins by inheriting ``AreaScoped`` (it has an ``area_code``) or ``SeniorScoped``
(its ``senior_id`` points at a senior, whose area decides). A route added later reads
through the same sessions, so it is scoped without doing anything.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, String, event, false, or_, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria

from runtime.scope import current_scope
from storage.base import Base

SENIORS_TABLE = "seniors"
# The root of the area tree (the autonomous region): a row written without an area belongs to
# it, so the region's supervisors see it and no station does (areas/codes.py names it REGION).
PLATFORM_AREA = "150000"


class AreaScoped:
    """Rows that carry the GB/T 2260 code of the area they belong to."""

    area_code: Mapped[str | None] = mapped_column(String(12), index=True, nullable=True,
                                                  default=PLATFORM_AREA)

    @classmethod
    def in_areas(cls, prefixes: frozenset[str]) -> ColumnElement[bool]:
        return area_matches(cls.area_code, prefixes)


class SeniorScoped:
    """Rows that belong to a senior: seen where the senior is. A row with no senior belongs to
    no centre yet and stays visible (an unknown caller's call narrows it: CallLeg.in_areas)."""

    senior_column: ClassVar[str] = "senior_id"

    @classmethod
    def in_areas(cls, prefixes: frozenset[str]) -> ColumnElement[bool]:
        return or_(getattr(cls, cls.senior_column).is_(None), cls.senior_in_areas(prefixes))

    @classmethod
    def senior_in_areas(cls, prefixes: frozenset[str]) -> ColumnElement[bool]:
        """The row's senior lives in one of the areas."""
        seniors = Base.metadata.tables[SENIORS_TABLE]
        # The row's own senior, probed by key: as ``senior_id IN (seniors of the areas)`` both
        # databases listed every senior of the scope first, per query (0.1 s at 50,000).
        return (select(seniors.c.id).where(seniors.c.id == getattr(cls, cls.senior_column),
                                           area_matches(seniors.c.area_code, prefixes))
                .correlate_except(seniors).exists())


def area_matches(column: Any, prefixes: Iterable[str]) -> ColumnElement[bool]:
    clauses = [column.like(f"{prefix}%") for prefix in sorted(prefixes)]
    return or_(*clauses) if clauses else false()


def scoped_tables() -> list[type[AreaScoped] | type[SeniorScoped]]:
    return [mapper.class_ for mapper in Base.registry.mappers
            if issubclass(mapper.class_, AreaScoped | SeniorScoped)]


def _narrow(state: ORMExecuteState) -> None:
    scope = current_scope()
    if scope.prefixes is None or not state.is_select or state.is_column_load:
        return
    if state.execution_options.get("everywhere"):  # the system's own look-up, named as such
        return
    state.statement = state.statement.options(
        *_criteria(scope.prefixes, len(Base.registry.mappers)))


@functools.lru_cache(maxsize=256)
def _criteria(prefixes: frozenset[str], _mappers: int) -> tuple[Any, ...]:
    """The scope's criteria, built once per scope (and per set of mapped tables, hence the
    count): building them for every statement was most of a small request's CPU time (some
    twenty tables, each a subquery, on each of a page's ten queries)."""
    return tuple(with_loader_criteria(table, table.in_areas(prefixes), include_aliases=True)
                 for table in scoped_tables())


def install_scope_filter() -> None:
    """Listen on every session (idempotent): called where sessionmakers are made."""
    if not event.contains(Session, "do_orm_execute", _narrow):
        event.listen(Session, "do_orm_execute", _narrow)
