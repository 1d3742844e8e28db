"""Security audit 2026-12, import and export findings: F6 (formula cells), F12 (runaway
quotes), F14 (control characters), F15 (undecodable bytes, oversized fields), F19 (a later
opt-out). A bad line is one rejected row with its line number; the good rows around it
are imported, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from varcomms import audience
from varcomms.audience.csvfile import MAX_FIELD_CHARS, MAX_RECORD_LINES
from varcomms.context import Context
from varcomms.errors import InputError


def run_import(ctx: Context, path: Path, **options: Any) -> tuple[Any, dict[int, Any]]:
    lines: dict[int, Any] = {}
    report = audience.import_csv(
        ctx, path, on_line=lambda o: lines.__setitem__(o.line, o), **options
    )
    return report, lines


def write(tmp_path: Path, content: bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def names(ctx: Context) -> dict[str, str | None]:
    return {r.email: r.name for r in audience.iter_recipients(ctx.store)}


# -- F12: an unterminated quote never swallows the rows after it ---------------------------------


@pytest.mark.parametrize(
    ("content", "bad_line"),
    [
        # the audit's reproduction: the quote runs to the end of the file
        (b'email,name\nq1@example.org,"unterminated\nq2@example.org,ok\nq3@example.org,ok\n', 2),
        # the quote closes far below, on another person's row
        (
            b'email,name\nq1@example.org,"open\nq2@example.org,ok\nq3@example.org,"x"\n',
            2,
        ),
        # semicolons and CRLF, as Dutch Excel writes them
        (
            b'email;name\r\nq2@example.org;ok\r\nq1@example.org;"open\r\nq3@example.org;ok\r\n',
            3,
        ),
    ],
)
def test_f12_an_unterminated_quote_is_one_rejected_row(
    actx: Context, tmp_path: Path, content: bytes, bad_line: int
) -> None:
    report, lines = run_import(actx, write(tmp_path, content))
    assert lines[bad_line].outcome == "skipped"
    assert "quote" in lines[bad_line].reason
    assert {"q2@example.org", "q3@example.org"} <= set(names(actx))
    assert "q1@example.org" not in names(actx)
    assert all("q2@" not in (name or "") for name in names(actx).values())
    assert report.rejects_path is not None


def test_f12_a_runaway_quote_without_addresses_is_cut_after_many_lines(
    actx: Context, tmp_path: Path
) -> None:
    body = b'email,name\nq1@example.org,"open\n' + b"just text\n" * (MAX_RECORD_LINES + 5)
    body += b"q9@example.org,Negen\n"
    _, lines = run_import(actx, write(tmp_path, body))
    assert "quote" in lines[2].reason
    assert names(actx).get("q9@example.org") == "Negen"
    # Every physical line is accounted for: reported, or read as a row of its own.
    assert max(lines) == MAX_RECORD_LINES + 8


def test_f12_legitimate_multi_line_fields_still_import(actx: Context, tmp_path: Path) -> None:
    body = b'email,name,organisation\nm@example.org,"Jan\nJansen","Gemeente\nRotterdam"\n'
    body += b"n@example.org,Piet,X\n"
    report, _ = run_import(actx, write(tmp_path, body))
    assert report.count(audience.ImportOutcome.ADDED) == 2
    assert audience.get_subscriber(actx.store, "m@example.org").organisation == (
        "Gemeente Rotterdam"
    )


# -- F14: control characters are rejected per row ------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\x85", "\x9b"])
def test_f14_control_characters_are_rejected_per_row(
    actx: Context, tmp_path: Path, char: str
) -> None:
    body = f"email,name,organisation\nok1@example.org,Goed,X\nn1@example.org,o{char}k,X\n"
    body += f"n2@example.org,Naam,Or{char}g\nok2@example.org,Ook goed,X\n"
    report, lines = run_import(actx, write(tmp_path, body.encode("utf-8")))
    for number in (3, 4):
        assert lines[number].outcome == "skipped", lines[number]
        assert "NUL" in lines[number].reason or "control character" in lines[number].reason
    assert set(names(actx)) == {"ok1@example.org", "ok2@example.org"}
    assert report.count(audience.ImportOutcome.ADDED) == 2


# -- F15: undecodable bytes and oversized fields are rows, not a crash ---------------------------


@pytest.mark.parametrize("byte", [b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"])
def test_f15_an_undecodable_byte_is_one_rejected_row(
    actx: Context, tmp_path: Path, byte: bytes
) -> None:
    body = b"email,name\nw0@example.org,Zo\xeb\nw1@example.org,caf" + byte + b"\n"
    body += b"w2@example.org,Ren\xe9\n"
    report, lines = run_import(actx, write(tmp_path, body))
    assert lines[3].outcome == "skipped" and f"0x{byte[0]:02X}" in lines[3].reason
    assert names(actx) == {"w0@example.org": "Zoë", "w2@example.org": "René"}
    # The rejects file gives the row back byte for byte, for whoever fixes it.
    assert b"caf" + byte in report.rejects_path.read_bytes()


def test_f15_a_broken_byte_in_a_utf8_file_keeps_the_rest_utf8(
    actx: Context, tmp_path: Path
) -> None:
    body = "email,name\nu1@example.org,Zoë\nu2@example.org,Chloë\n".encode() + (
        b"u3@example.org,bad\xff\n"
    )
    _, lines = run_import(actx, write(tmp_path, body))
    assert lines[4].outcome == "skipped"
    assert names(actx) == {"u1@example.org": "Zoë", "u2@example.org": "Chloë"}


def test_f15_an_oversized_field_is_one_rejected_row(actx: Context, tmp_path: Path) -> None:
    huge = "x" * (MAX_FIELD_CHARS + 10)
    body = f"email,name,notes\nb1@example.org,Een,kort\nb2@example.org,Twee,{huge}\n"
    body += 'b3@example.org,Drie,"' + huge + '"\nb4@example.org,Vier,kort\n'
    _, lines = run_import(actx, write(tmp_path, body.encode()))
    assert lines[3].outcome == "skipped" and "longer than" in lines[3].reason
    assert lines[4].outcome == "skipped"
    assert set(names(actx)) == {"b1@example.org", "b4@example.org"}


def test_f15_a_binary_file_gets_a_one_line_error(actx: Context, tmp_path: Path) -> None:
    # What an .xlsx (a zip) looks like to a CSV reader.
    path = write(tmp_path, b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" * 20, "leden.xlsx")
    with pytest.raises(InputError) as caught:
        audience.import_csv(actx, path)
    assert "\n" not in str(caught.value)


# -- F19: a later opt-out wins over an earlier subscription --------------------------------------


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained"])
def test_f19_a_later_opt_out_in_a_duplicate_row_wins(
    actx: Context, tmp_path: Path, status: str
) -> None:
    body = f"email,status\ndup@example.org,subscribed\nDUP@example.org,{status}\n"
    body += "known@example.org,subscribed\n"
    _, lines = run_import(actx, write(tmp_path, body.encode()))
    assert lines[3].outcome != "skipped"
    assert "dup@example.org" not in names(actx)
    # The same across batches, and for someone already known.
    many = "email,status\nknown@example.org,subscribed\n" + "".join(
        f"p{n}@example.org,subscribed\n" for n in range(30)
    )
    many += "KNOWN@example.org,unsubscribed\n"
    actx.config.audience.__dict__["batch_size"] = 8
    run_import(actx, write(tmp_path, many.encode(), "many.csv"))
    assert audience.get_subscriber(actx.store, "known@example.org").status == "unsubscribed"


def test_f19_an_earlier_opt_out_is_not_undone_by_a_later_row(actx: Context, tmp_path: Path) -> None:
    body = "email,status\nx@example.org,unsubscribed\nX@example.org,subscribed\n"
    _, lines = run_import(actx, write(tmp_path, body.encode()))
    assert lines[3].outcome == "skipped" and "duplicate" in lines[3].reason
    assert audience.find_subscriber(actx.store, "x@example.org") is None


# -- F6: exports are safe to open in a spreadsheet and read back exactly -------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example","Klik")',
    "+31 10 123 4567",
    "-2+3",
    "@SUM(A1:A2)",
    "'=already quoted",
    "'t Hart",
]


def test_f6_exports_neutralise_formulas_and_read_back(actx: Context, tmp_path: Path) -> None:
    rows = "".join(
        f'f{n}@example.org,"{value.replace(chr(34), chr(34) * 2)}",Org {n}\n'
        for n, value in enumerate(FORMULAS)
    )
    rows += '-dash@example.org,Dash,"=1+1"\n'
    audience.import_csv(actx, write(tmp_path, f"email,name,organisation\n{rows}".encode()))
    stored = {r.email: (r.name, r.organisation) for r in audience.iter_recipients(actx.store)}
    assert stored["f0@example.org"][0] == FORMULAS[0]
    out = io.StringIO()
    audience.export_csv(actx.store, out)
    for row in list(csv.reader(io.StringIO(out.getvalue())))[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    exported = write(tmp_path, out.getvalue().encode(), "export.csv")
    report = audience.import_csv(actx, exported)
    assert report.count(audience.ImportOutcome.UNCHANGED) == len(stored)
    again = {r.email: (r.name, r.organisation) for r in audience.iter_recipients(actx.store)}
    assert again == stored


def test_f6_rejects_files_neutralise_formulas_too(actx: Context, tmp_path: Path) -> None:
    body = 'email,name\nnot-an-address,"=HYPERLINK(""https://evil.example"")"\n'
    report = audience.import_csv(actx, write(tmp_path, body.encode()))
    rows = list(csv.reader(io.StringIO(report.rejects_path.read_text(encoding="utf-8"))))
    assert rows[1][1].startswith("'=")


def test_f15_a_failed_import_leaves_no_partial_rejects_file(
    actx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from varcomms.audience import importer

    rows = "".join(f"p{n}@example.org,Naam\nkapot{n},Naam\n" for n in range(20))
    path = write(tmp_path, f"email,name\n{rows}".encode())
    calls = []
    real_write = importer._Importer.write

    def failing_write(self: Any, db: Any, plan: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real_write(self, db, plan)

    monkeypatch.setattr(importer._Importer, "write", failing_write)
    actx.config.audience.__dict__["batch_size"] = 8
    with pytest.raises(RuntimeError):
        audience.import_csv(actx, path)
    assert [p.name for p in tmp_path.iterdir() if "rejects" in p.name] == []
    assert names(actx) == {}


# -- issue 11 (U3): workbooks and other binary files given to an import --------------------------


def test_u3_an_xlsx_workbook_is_imported_like_its_csv(actx: Context, tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["email", "name", "organisation", "consent_at"])
    sheet.append(["ws1@example.org", "Zoë de Wit", "Gemeente\nSchiedam", datetime(2024, 3, 1, 9)])  # noqa: DTZ001
    sheet.append(["not an address", "Fout", "X", None])
    sheet.append([None, None, None, None])
    sheet.append(["ws2@example.org", '=HYPERLINK("https://evil.example")', "Y", None])
    sheet["B4"] = "=1+1"  # a formula cell counts by its value, never by its text
    path = tmp_path / "leden.xlsx"
    book.save(path)

    report, lines = run_import(actx, path)

    assert report.encoding.startswith("Excel")
    assert lines[3].outcome == "skipped"  # the sheet's own row number
    assert lines[5].outcome == "added"
    first = audience.get_subscriber(actx.store, "ws1@example.org")
    assert (first.name, first.organisation) == ("Zoë de Wit", "Gemeente Schiedam")
    assert first.consent_at is not None and first.consent_at.year == 2024
    assert report.rejects_path == tmp_path / "leden.rejects.csv"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old-style Excel"),
        (b"PK\x03\x04" + b"\x00" * 100, "zip archive"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "not a CSV text file"),
        (b"\xff\xfee\x00m\x00a\x00i\x00l\x00\n\x00", "UTF-16"),
    ],
)
def test_u3_binary_files_get_a_one_line_error(
    actx: Context, tmp_path: Path, content: bytes, says: str
) -> None:
    with pytest.raises(InputError) as caught:
        audience.import_csv(actx, write(tmp_path, content, "leden.bin"))
    assert says in str(caught.value) and "\n" not in str(caught.value)
