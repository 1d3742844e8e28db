"""Excel workbooks given to an import: read the first sheet as if it were a CSV file.

Editors keep member lists in Excel and will hand the import an ``.xlsx`` as often as a
CSV. The first worksheet is written, row for row, to a private temporary CSV file that
the ordinary import reads: the same validation, the same report, and line numbers that
are the sheet's row numbers. Formulas count by their last calculated value, never by
their text. Anything else that is not text (an old ``.xls``, a zip, an image) is refused
with one line that says what to do.
"""

from __future__ import annotations

import csv
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

from varcomms.errors import InputError
from varcomms.keyfile import open_private

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary Office formats (.xls, .doc)
_SAVE_AS_CSV = "save it as CSV UTF-8 (comma delimited) or as an Excel workbook (.xlsx)"

FileKind = Literal["csv", "xlsx"]


def file_kind(path: Path) -> FileKind:
    """Whether ``path`` is read as CSV text or as a workbook; other files are refused."""
    try:
        with path.open("rb") as stream:
            head = stream.read(8192)
    except FileNotFoundError as err:
        raise InputError("file not found", path=path) from err
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", path=path) from err
    if head.startswith(_OLE):
        raise InputError(f"this is an old-style Excel file (.xls); {_SAVE_AS_CSV}", path=path)
    if head.startswith(_ZIP):
        if _is_workbook(path):
            return "xlsx"
        raise InputError(f"this is a zip archive, not a member list; {_SAVE_AS_CSV}", path=path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"this is UTF-16 text (Excel's 'Unicode text'); {_SAVE_AS_CSV}", path=path)
    # Text has the odd stray control character (a row with one is rejected on its own);
    # images, PDFs and other binaries are full of them.
    controls = sum(1 for byte in head if byte < 0x20 and byte not in b"\t\r\n")
    if controls > max(8, len(head) // 20):
        raise InputError(f"this is not a CSV text file; {_SAVE_AS_CSV}", path=path)
    return "csv"


def _is_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


@contextmanager
def workbook_as_csv(path: Path) -> Iterator[Path]:
    """The workbook's first sheet as a temporary CSV file, removed afterwards."""
    from openpyxl import load_workbook  # only imports of workbooks pay for it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        message = f"cannot read this Excel workbook ({err}); {_SAVE_AS_CSV}"
        raise InputError(message, path=path) from err
    with tempfile.TemporaryDirectory(prefix="varcomms-import-") as folder:
        target = Path(folder) / f"{path.stem}.csv"
        try:
            sheet = book.worksheets[0]
            with open_private(target, encoding="utf-8") as stream:
                writer = csv.writer(stream, lineterminator="\n")
                for row in sheet.iter_rows(values_only=True):
                    writer.writerow([_text(value) for value in row])
        finally:
            book.close()
        yield target


def _text(value: Any) -> str:
    """A cell as the text a CSV export would hold; one line, so rows stay rows."""
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).splitlines())
