"""Fast personalised MIME: build a variant's message once, splice in each recipient.

Python's ``EmailMessage`` re-encodes the whole 80 KB HTML part for every recipient.
Here a :class:`MimeTemplate` is made once per variant: the text and HTML parts are cut
at the personal placeholders and each static piece is quoted-printable encoded once.
A personal message is then a join of pre-encoded bytes with a few short encoded values.

Quoted-printable makes the splice safe: a soft line break (``=`` CRLF) may stand anywhere
and decodes to nothing, so each piece is encoded on its own, starting at column 0, and
pieces are joined with a soft break; no line ever exceeds 76 characters. The boundary
contains ``==``, which quoted-printable output can never contain.
"""

from __future__ import annotations

import html
import re
import secrets
from binascii import b2a_qp
from datetime import datetime
from email.header import Header
from email.utils import format_datetime

from varcomms.models import PERSONAL_FIELDS

CRLF = b"\r\n"
SOFT_BREAK = b"=\r\n"
_PLACEHOLDER_NAME = {placeholder: name for name, placeholder in PERSONAL_FIELDS.items()}
_PLACEHOLDERS = re.compile("|".join(re.escape(p) for p in PERSONAL_FIELDS.values()))
MAX_HEADER_LINE = 78


def qp(text: str) -> bytes:
    """Quoted-printable bytes with CRLF line ends for a piece of text."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return b2a_qp(normalised.encode("utf-8"), istext=True).replace(b"\n", CRLF)


def header_line(name: str, value: str) -> bytes:
    """One header, RFC 2047-encoded when not ASCII, folded at ``,`` or ``;`` when long."""
    if value.isascii() and "\n" not in value and "\r" not in value:
        line = f"{name}: {value}"
        if len(line) > MAX_HEADER_LINE:
            # Fold where the syntax allows: between list items or parameters first,
            # then at any other space (RFC 5322 folding whitespace).
            line = line.replace(", ", ",\r\n ").replace("; ", ";\r\n ")
            parts = line.split("\r\n")
            # Never fold right after "Name:": the value starts on the header's own line.
            first = _fold_at_spaces(parts[0], start=len(name) + 2)
            line = "\r\n".join([first, *(_fold_at_spaces(part) for part in parts[1:])])
        return line.encode("ascii") + CRLF
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}".encode("ascii") + CRLF


def _fold_at_spaces(line: str, *, start: int = 1) -> str:
    """Break one physical header line at spaces so each piece fits 78 characters where
    a space allows; a long token (a URL) stays whole, as it must."""
    pieces: list[str] = []
    while len(line) > MAX_HEADER_LINE:
        cut = line.rfind(" ", start, MAX_HEADER_LINE)
        if cut < start or not line[:cut].strip():
            break
        start = 1
        pieces.append(line[:cut])
        line = line[cut:]  # the space stays, starting the continuation line
    pieces.append(line)
    return "\r\n".join(pieces)


class _Part:
    """One body part cut at placeholders: static pieces encoded, slots filled later."""

    __slots__ = ("pieces", "slots")

    def __init__(self, template: str) -> None:
        self.pieces: list[bytes] = []
        self.slots: list[str] = []  # personal field names between pieces
        position = 0
        for match in _PLACEHOLDERS.finditer(template):
            self.pieces.append(qp(template[position : match.start()]))
            self.slots.append(_PLACEHOLDER_NAME[match.group(0)])
            position = match.end()
        self.pieces.append(qp(template[position:]))

    def render(self, values: dict[str, bytes], out: list[bytes]) -> None:
        pieces = self.pieces
        out.append(pieces[0])
        for index, slot in enumerate(self.slots, start=1):
            if not out[-1].endswith(CRLF):
                out.append(SOFT_BREAK)
            out.append(values[slot])
            out.append(SOFT_BREAK)
            out.append(pieces[index])


class MimeTemplate:
    """The MIME skeleton of one variant; :meth:`render` makes one personal message."""

    def __init__(
        self,
        *,
        subject: str,
        from_header: str,
        html_body: str,
        text_body: str,
        date: datetime,
        reply_to: str | None = None,
        extra_headers: list[tuple[str, str]] | None = None,
        boundary: str | None = None,
    ) -> None:
        self.boundary = boundary or f"==varcomms=={secrets.token_hex(12)}=="
        common = [
            ("From", from_header),
            ("Subject", subject),
            ("Date", format_datetime(date)),
        ]
        if reply_to:
            common.append(("Reply-To", reply_to))
        common.extend(extra_headers or [])
        common.append(("MIME-Version", "1.0"))
        common.append(("Content-Type", f'multipart/alternative; boundary="{self.boundary}"'))
        head = b"".join(header_line(name, value) for name, value in common)
        marker = f"--{self.boundary}".encode("ascii")
        part_head = (
            b'Content-Type: %s; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        self._head = head + CRLF
        # Text before HTML: clients show the last alternative they understand.
        self._text_open = marker + CRLF + part_head % b"text/plain"
        self._html_open = CRLF + marker + CRLF + part_head % b"text/html"
        self._close = CRLF + marker + b"--" + CRLF
        self._text = _Part(text_body)
        self._html = _Part(html_body)

    def render(
        self,
        *,
        to_header: str,
        message_id: str,
        personal_headers: list[tuple[str, str]],
        values: dict[str, str],
    ) -> bytes:
        text_values = {name: qp(value) for name, value in values.items()}
        html_values = {name: qp(html.escape(value)) for name, value in values.items()}
        # The name in to_header is already RFC 2047-encoded; anything non-ASCII left is an
        # internationalised address, which goes as UTF-8 (RFC 6532) over SMTPUTF8.
        to_line = (
            header_line("To", to_header)
            if to_header.isascii()
            else f"To: {to_header}".encode() + CRLF
        )
        out: list[bytes] = [to_line, header_line("Message-ID", message_id)]
        out.extend(header_line(name, value) for name, value in personal_headers)
        out.append(self._head)
        out.append(self._text_open)
        self._text.render(text_values, out)
        out.append(self._html_open)
        self._html.render(html_values, out)
        out.append(self._close)
        return b"".join(out)
