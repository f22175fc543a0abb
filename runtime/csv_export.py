"""The one CSV writer for downloads: cells a spreadsheet would run as a formula are quoted."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from starlette.responses import Response

# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
# Google Sheets; "=HYPERLINK(...)" in a senior's name must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Text that would start a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvResponse(Response):
    """A CSV download; routes name it as ``response_class`` so the API document says text/csv."""

    media_type = "text/csv"


class CsvExport:
    """Rows in, a ``text/csv`` attachment out."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer)

    def row(self, cells: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in cells])

    def response(self, filename: str) -> CsvResponse:
        return CsvResponse(self._buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
