"""Reading CSV files the way people actually make them.

Dutch Excel writes ``;`` between fields, puts a byte-order mark in front of UTF-8 and
sometimes saves in Windows-1252; other tools write ``,`` or tabs. The dialect is sniffed
from the header line, the encoding from the bytes. Records are streamed, each with the
physical line it starts on, so a report can point at the line a person sees in an editor.

A broken line never takes the rest of the file with it. A quote that is opened and never
closed would make one field of everything after it; a record that runs over too many
lines, or whose line breaks hide what looks like other people's rows, is cut back to its
first line, which is reported as a bad row, and reading goes on with the next line. A
byte the file's encoding cannot decode, a NUL or an oversized field is likewise one bad
row, never an aborted import.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from varcomms.errors import InputError

_CHUNK = 1 << 16
DELIMITERS = (",", ";", "\t")
# A quoted field may hold line breaks (an address block, a note), but not this many.
MAX_RECORD_LINES = 50
MAX_FIELD_CHARS = 128 * 1024
MAX_RECORD_CHARS = 4 * MAX_FIELD_CHARS
# The csv module's own limit stays above ours, so it never aborts the file first.
csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_RECORD_CHARS))
# Undecodable bytes are carried as lone surrogates (errors="surrogateescape").
_UNDECODED = re.compile("[\udc80-\udcff]")
# After a line break inside a field: something like an address, i.e. another person's row.
_ROW_AFTER_BREAK = re.compile(r"[\r\n][^\r\n]*?[^\s\"'<>,;:@]+@[^\s\"'<>,;:@]+\.[^\W\d_]{2,}")


@dataclass(frozen=True)
class CsvShape:
    encoding: str  # a Python codec name: utf-8, utf-8-sig or cp1252
    delimiter: str
    lines: int  # physical lines, for a progress bar
    # "surrogateescape" when some bytes fit no encoding: those rows are rejected one by one.
    errors: str = "strict"

    @property
    def has_bom(self) -> bool:
        return self.encoding == "utf-8-sig"

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, self.delimiter)


def _detect_encoding(path: Path) -> tuple[str, str, int]:
    """Encoding, error handling and physical lines.

    UTF-8 (with or without BOM) if the whole file decodes, else Windows-1252 if that
    decodes; a file that is neither is read as the likelier one with its bad bytes kept
    aside, so only the rows that hold them are rejected.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    utf8_bad = 0
    utf8_non_ascii = 0
    cp1252_ok = True
    lines = 0
    with path.open("rb") as stream:
        first = stream.read(_CHUNK)
        bom = first.startswith(codecs.BOM_UTF8)
        chunk = first
        last = b""
        while chunk:
            lines += chunk.count(b"\n")
            last = chunk
            text = decoder.decode(chunk)
            bad = len(_UNDECODED.findall(text))
            utf8_bad += bad
            if not text.isascii():
                utf8_non_ascii += sum(1 for char in text if ord(char) > 0x7F) - bad
            if cp1252_ok:
                try:
                    chunk.decode("cp1252")
                except UnicodeDecodeError:
                    cp1252_ok = False
            chunk = stream.read(_CHUNK)
        utf8_bad += len(_UNDECODED.findall(decoder.decode(b"", final=True)))
        if last and not last.endswith(b"\n"):
            lines += 1
    utf8 = "utf-8-sig" if bom else "utf-8"
    if not utf8_bad:
        return utf8, "strict", lines
    # More valid multi-byte sequences than broken bytes: UTF-8 with a few damaged rows
    # (Windows-1252 text almost never forms valid UTF-8 by accident).
    if utf8_non_ascii > utf8_bad:
        return utf8, "surrogateescape", lines
    if cp1252_ok:
        return "cp1252", "strict", lines
    return "cp1252", "surrogateescape", lines


def _detect_delimiter(header_line: str) -> str:
    """The candidate that occurs most often in the header outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def inspect_csv(path: Path) -> CsvShape:
    try:
        encoding, errors, lines = _detect_encoding(path)
        with path.open(encoding=encoding, errors=errors, newline="") as stream:
            header_line = stream.readline()
    except FileNotFoundError as err:
        raise InputError("file not found", path=path) from err
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", path=path) from err
    if not header_line.strip():
        raise InputError("the file is empty; expected a header line", path=path, line=1)
    if "\x00" in header_line:
        raise InputError(
            "this is not a CSV text file (it holds NUL bytes)",
            path=path,
            line=1,
            hint="save the sheet as CSV (UTF-8) and import that file",
        )
    return CsvShape(encoding, _detect_delimiter(header_line), lines, errors)


@dataclass(frozen=True)
class Record:
    line: int  # where the record starts (1 is the header)
    cells: list[str]
    problem: str | None = None  # why the record cannot be a row at all (then rejected)


class _RunawayError(Exception):
    """A record ran over more lines or characters than any real row has."""


class _Lines:
    """The file's physical lines for the csv reader, with push-back.

    It remembers the lines the current record took, so a record that turns out to be
    a runaway quote can be cut back to its first line and the rest read again.
    """

    def __init__(self, stream: TextIO) -> None:
        self._readline = stream.readline
        self._back: list[str] = []
        self.number = 0  # physical lines handed out so far
        self.taken: list[str] = []
        self._chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        # Called once per physical line of every import: kept to the bare minimum.
        line = self._back.pop() if self._back else self._readline()
        if not line:
            raise StopIteration
        self.number += 1
        taken = self.taken
        taken.append(line)
        self._chars += len(line)
        if self._chars > MAX_RECORD_CHARS or len(taken) > MAX_RECORD_LINES:
            raise _RunawayError
        return line

    def start_record(self) -> None:
        self.taken = []
        self._chars = 0

    def give_back(self, lines: list[str]) -> None:
        self._back.extend(reversed(lines))
        self.number -= len(lines)


_UNCLOSED = (
    'a quote (") opened on this line is never closed, so the field would swallow the '
    "lines after it; fix the quote and import this row again"
)


class CsvReader:
    """Streams the records of one file; ``header`` is read on construction."""

    def __init__(self, stream: TextIO, shape: CsvShape, path: Path) -> None:
        self._lines = _Lines(stream)
        self._undecodable = shape.errors != "strict"  # only then can a cell hold a bad byte
        self._delimiter = shape.delimiter
        self._reader = csv.reader(self._lines, delimiter=shape.delimiter, strict=False)
        self.path = path
        try:
            self.header: list[str] = [cell.strip() for cell in next(self._reader)]
        except StopIteration as err:
            raise InputError("the file is empty", path=path, line=1) from err
        except (csv.Error, _RunawayError) as err:
            raise InputError(f"unreadable header: {err}", path=path, line=1) from err
        self.line = self._lines.number

    def __iter__(self) -> Iterator[Record]:
        while True:
            self._lines.start_record()
            start = self._lines.number + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except _RunawayError:
                yield self._first_line_only(start, _UNCLOSED)
                continue
            except csv.Error as err:
                reason = (
                    "the line holds a NUL character"
                    if "NUL" in str(err)
                    else f"unreadable line: {err}"
                )
                yield self._first_line_only(start, reason)
                continue
            self.line = self._lines.number
            if len(self._lines.taken) > 1 and any(_ROW_AFTER_BREAK.search(c) for c in cells):
                yield self._first_line_only(start, _UNCLOSED)
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (Excel leaves ";;;;" rows) are not records
            yield Record(start, cells, _problem(cells, self._undecodable))

    def _first_line_only(self, start: int, reason: str) -> Record:
        """Report the record's first line as a bad row; read the lines after it again."""
        first, rest = self._lines.taken[0], self._lines.taken[1:]
        self._lines.give_back(rest)
        self.line = self._lines.number
        try:
            cells = next(csv.reader([first.replace("\x00", "")], delimiter=self._delimiter))
        except (csv.Error, StopIteration):
            cells = [first.rstrip("\r\n")]
        return Record(start, cells, reason)


def _problem(cells: list[str], undecodable: bool) -> str | None:
    """Why a parsed record cannot be a row: a byte that is not text, a field too long."""
    if undecodable:
        for cell in cells:
            found = _UNDECODED.search(cell)
            if found is not None:
                byte = ord(found.group()) - 0xDC00
                return (
                    f"the line holds a byte (0x{byte:02X}) that is not valid text in the "
                    "file's encoding; save the file as UTF-8"
                )
    if sum(map(len, cells)) > MAX_FIELD_CHARS and max(map(len, cells)) > MAX_FIELD_CHARS:
        return f"a field is longer than {MAX_FIELD_CHARS} characters"
    return None


def open_text(path: Path, shape: CsvShape) -> TextIO:
    return path.open(encoding=shape.encoding, errors=shape.errors, newline="")
