"""Reading CSV files the way people actually make them.

Dutch Excel writes ``;`` between fields, puts a byte-order mark in front of UTF-8 and
sometimes saves in Windows-1252; other tools write ``,`` or tabs. The dialect is sniffed
from the header line, the encoding from the bytes. Records are streamed, each with the
physical line it starts on, so a report can point at the line a person sees in an editor.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from varcomms.errors import InputError

_CHUNK = 1 << 16
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class CsvShape:
    encoding: str  # a Python codec name: utf-8, utf-8-sig or cp1252
    delimiter: str
    lines: int  # physical lines, for a progress bar

    @property
    def has_bom(self) -> bool:
        return self.encoding == "utf-8-sig"

    @property
    def delimiter_name(self) -> str:
        return {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, self.delimiter)


def _detect_encoding(path: Path) -> tuple[str, int]:
    """UTF-8 (with or without BOM) if the whole file decodes, else Windows-1252; and lines."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    lines = 0
    with path.open("rb") as stream:
        first = stream.read(_CHUNK)
        bom = first.startswith(codecs.BOM_UTF8)
        chunk = first
        last = b""
        while chunk:
            lines += chunk.count(b"\n")
            last = chunk
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            chunk = stream.read(_CHUNK)
        if last and not last.endswith(b"\n"):
            lines += 1
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if not utf8:
        return "cp1252", lines
    return ("utf-8-sig" if bom else "utf-8"), lines


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
        encoding, lines = _detect_encoding(path)
        with path.open(encoding=encoding, newline="") as stream:
            header_line = stream.readline()
    except FileNotFoundError as err:
        raise InputError("file not found", path=path) from err
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", path=path) from err
    if not header_line.strip():
        raise InputError("the file is empty; expected a header line", path=path, line=1)
    return CsvShape(encoding, _detect_delimiter(header_line), lines)


@dataclass(frozen=True)
class Record:
    line: int  # where the record starts (1 is the header)
    cells: list[str]


class CsvReader:
    """Streams the records of one file; ``header`` is read on construction."""

    def __init__(self, stream: TextIO, shape: CsvShape, path: Path) -> None:
        self._reader = csv.reader(stream, delimiter=shape.delimiter, strict=False)
        self.path = path
        try:
            self.header: list[str] = [cell.strip() for cell in next(self._reader)]
        except StopIteration as err:
            raise InputError("the file is empty", path=path, line=1) from err
        except csv.Error as err:
            raise InputError(f"unreadable header: {err}", path=path, line=1) from err
        self.line = self._reader.line_num

    def __iter__(self) -> Iterator[Record]:
        while True:
            start = self._reader.line_num + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as err:
                raise InputError(
                    f"broken CSV: {err}", path=self.path, line=self._reader.line_num
                ) from err
            self.line = self._reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (Excel leaves ";;;;" rows) are not records
            yield Record(start, cells)


def open_text(path: Path, shape: CsvShape) -> TextIO:
    return path.open(encoding=shape.encoding, newline="")
