"""Cells that a spreadsheet would run as formulas, and back.

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-``
or ``@`` (and, in some versions, a tab or carriage return) as a formula, so a name like
``=HYPERLINK("https://evil.example","Klik")`` in an export runs when an editor opens the
file. As OWASP recommends, such cells are written with a leading apostrophe, which the
spreadsheet shows as text; an import removes that apostrophe again, so a round trip
through any of our CSV files gives back exactly what was there.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A trigger, possibly behind apostrophes: those get one more, so restoring is exact.
_TRIGGERED = re.compile(r"'*[=+\-@\t\r]")


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet will show it and never evaluate it."""
    return "'" + cell if _TRIGGERED.match(cell) else cell


def restore(cell: str) -> str:
    """Undo :func:`neutralise` (a cell read from one of our files, or re-saved by Excel)."""
    return cell[1:] if cell.startswith("'") and _TRIGGERED.match(cell, 1) else cell
