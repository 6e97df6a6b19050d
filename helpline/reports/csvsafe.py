"""CSV that spreadsheets open safely: every export (report tables, ticket queues)
goes through here.

The rule (CSV injection, CWE-1236; osTicket's CVE-2019-14749): a spreadsheet runs a
cell as a formula when its text starts with `=`, `+`, `-` or `@`, and some also
when it starts with a tab, a carriage return, a line feed or NUL (OWASP's and
ASVS's lists), or with any of these after leading spaces, which some spreadsheets
trim on import. So every *text* cell that starts so is written with a single quote
in front (`=cmd|' /C calc'!A0` becomes `'=cmd|' /C calc'!A0`), which spreadsheets
show as text. Numbers that Helpline computed (counts, hours, shares; Python `int`,
`float` or `Decimal`) are written as plain numbers, a negative one included: a
number cannot carry a formula, and a spreadsheet should be able to add them up.
Anything else (names, subjects, dates, labels) is text and is checked, even text
that looks like a number ("-2+3" is a formula in Excel).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse

# First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
# A byte order mark, so Excel reads the file as UTF-8 (names with accents, “quotes”).
BOM = "\ufeff"

type Cell = str | int | float | Decimal


def safe_cell(value: Any) -> Cell:
    """The value as a CSV cell: numbers stay numbers, text is escaped when a
    spreadsheet would run it; None is empty, booleans are "yes"/"no", dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    # Some spreadsheets trim leading spaces and line breaks before they look.
    if text.startswith(FORMULA_START) or text.lstrip(" \n\r\t\0").startswith(FORMULA_START):
        return "'" + text
    return text


class _Echo:
    """A file that hands back what is written to it: csv.writer makes one line."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> Iterator[str]:
    """The lines of the file: BOM, header, then each row, every cell made safe."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def _filename(name: str) -> str:
    """An ASCII file name without quotes or path separators."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "export"
    return cleaned if cleaned.endswith(".csv") else cleaned + ".csv"


def write_csv(
    rows: Iterable[Sequence[Any]], header: Sequence[str], filename: str = "export.csv"
) -> StreamingHttpResponse:
    """A streamed CSV download: rows are written as they come, so an iterator over
    a million tickets is never held in memory."""
    response = StreamingHttpResponse(
        csv_lines(rows, header), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(filename)}"'
    response["Cache-Control"] = "private, no-store"
    return response
