"""CSV downloads: RFC 4180 (CRLF line ends, quotes doubled), UTF-8 with a byte-order mark so
spreadsheet programs read accents right, and no cell a spreadsheet would run as a formula.

A cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return, which some
programs skip before looking) is prefixed with a single quote, as OWASP's "CSV Injection"
advice says: a client who names themselves ``=HYPERLINK(...)`` stays text in the pro's sheet.
Numbers are written by the caller as plain text (``-12.50`` from a number is fine: only text
cells go through ``safe_cell``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """`value` as text a spreadsheet shows as it is."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, numeric=()) -> str:
    """The CSV document. Columns whose index is in `numeric` are written as given (numbers
    the caller formatted); every other cell goes through ``safe_cell``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow(
            [str(cell) if i in numeric else safe_cell(cell) for i, cell in enumerate(row)]
        )
    return buffer.getvalue()


def csv_response(text: str, *, filename: str) -> HttpResponse:
    """A download of `text` named `filename` (ASCII, chosen by the caller)."""
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8; header=present")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response
