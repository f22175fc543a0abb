"""The report as rows (district, section, item, value): one shape for CSV and XLSX."""

from __future__ import annotations

import io
from collections.abc import Iterator

from openpyxl import Workbook

from reports.service import DistrictFigures
from runtime.csv_export import safe_cell

HEADER = ("district", "section", "item", "value")
Row = tuple[str, str, str, object]


def rows(figures: list[DistrictFigures]) -> Iterator[Row]:
    for one in figures:
        name = one.district
        for section, counts in (("seniors", one.seniors), ("age_band", one.age_bands),
                                ("subsidy_category", one.subsidy_categories),
                                ("devices", one.devices), ("calls_by_purpose",
                                                           one.calls_by_purpose),
                                ("proof_of_life", one.proof_of_life)):
            for item, value in sorted(counts.items()):
                yield name, section, item, value
        for alarm in one.alarms:
            prefix = f"{alarm['kind']}/P{alarm['priority']}"
            for key in ("count", "answered", "within_60s", "within_180s", "share_within_60s",
                        "share_within_180s", "median_answer_s"):
                yield name, "alarms", f"{prefix}/{key}", alarm[key]
        for order in one.orders:
            for key in ("count", "completed", "price_fen", "subsidised_fen"):
                yield name, "orders", f"{order['service']}/{key}", order[key]


def xlsx(figures: list[DistrictFigures], *, month: str) -> bytes:
    """One sheet of all rows; text that a spreadsheet would run as a formula stays text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=month)
    sheet.append(list(HEADER))
    for row in rows(figures):
        sheet.append([safe_cell(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
