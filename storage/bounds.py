"""The bounds of numbers that reach the database: every id, limit and offset uses these.

A row id is a signed 64-bit integer in SQLite and PostgreSQL's BIGINT; a larger number makes
the driver raise OverflowError instead of finding nothing, so it is refused at the edge (422).
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

MAX_ROW_ID = 2**63 - 1
MAX_LIMIT = 1000

RowId = Annotated[int, Ge(1), Le(MAX_ROW_ID)]
Limit = Annotated[int, Ge(1), Le(MAX_LIMIT)]
Offset = Annotated[int, Ge(0), Le(MAX_ROW_ID)]
