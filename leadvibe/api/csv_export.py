"""Streamed CSV exports: rows are written as they are read, so memory stays flat however many
match. Times are RFC 3339, dicts compact JSON, None an empty cell."""

import csv
import datetime
import io
import json
from collections.abc import Iterable, Iterator, Sequence

from django.http import StreamingHttpResponse
from django.utils import timezone

from leadvibe.timefmt import to_rfc3339

# Spreadsheets run cells starting with these as formulas (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FLUSH_ROWS = 500

CSV_INJECTION_NOTE = (
    "Cells that start with = + - @ (or a tab or carriage return) are prefixed with `'` so "
    "spreadsheets do not run them as formulas."
)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = to_rfc3339(value) if isinstance(value, datetime.datetime) else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_stream(columns: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(value) for value in row])
        if count % _FLUSH_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def csv_attachment(
    columns: Sequence[str], rows: Iterable[Sequence], *, name: str
) -> StreamingHttpResponse:
    """A streamed `<name>-<UTC date>.csv` attachment."""
    response = StreamingHttpResponse(
        csv_stream(columns, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.now():%Y-%m-%d}.csv"'
    return response
