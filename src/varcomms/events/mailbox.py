"""Read bounce reports from a folder of ``.eml`` files or an IMAP mailbox, and ingest them.

A folder is what a mail server's delivery (or a manual export) leaves; each file read is
moved into ``processed/`` beside it so a second run reads only new ones. An IMAP mailbox
is read over TLS; messages read are flagged ``\\Seen`` and only unseen ones are fetched.
Event ids make a second reading of the same report harmless either way.
"""

from __future__ import annotations

import contextlib
import imaplib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from varcomms.context import Context
from varcomms.errors import InputError, ProviderError
from varcomms.events.dsn import NotABounceError, parse_dsn
from varcomms.events.ingest import IngestReport, ingest

PROCESSED = "processed"


@dataclass
class MailboxReport:
    messages: int = 0
    not_bounces: list[str] = field(default_factory=list)  # file names or IMAP uids
    events: IngestReport = field(default_factory=IngestReport)

    def to_dict(self) -> dict[str, object]:
        return {
            "messages": self.messages,
            "not_bounces": len(self.not_bounces),
            **self.events.to_dict(),
        }


def read_bounce_folder(ctx: Context, folder: Path) -> MailboxReport:
    if not folder.is_dir():
        raise InputError("not a folder", path=folder, hint="give the folder of .eml files")
    report = MailboxReport()
    done = folder / PROCESSED
    for path in sorted(folder.glob("*.eml")):
        _read_one(ctx, report, path.name, path.read_bytes())
        done.mkdir(exist_ok=True)
        path.replace(done / path.name)
    return report


def read_bounce_imap(
    ctx: Context, *, host: str, username: str, password: str, folder: str = "INBOX", port: int = 993
) -> MailboxReport:
    report = MailboxReport()
    for uid, raw in _imap_unseen(host, port, username, password, folder):
        _read_one(ctx, report, uid, raw)
    return report


def _read_one(ctx: Context, report: MailboxReport, name: str, raw: bytes) -> None:
    report.messages += 1
    try:
        events = parse_dsn(raw, received=ctx.clock.now())
    except NotABounceError:
        report.not_bounces.append(name)
        return
    report.events.merge(ingest(ctx, events))


def _imap_unseen(
    host: str, port: int, username: str, password: str, folder: str
) -> Iterator[tuple[str, bytes]]:
    try:
        connection = imaplib.IMAP4_SSL(host, port, timeout=30)
    except OSError as err:
        raise ProviderError(
            f"cannot reach the bounce mailbox {host}:{port}: {err}", provider="imap"
        ) from err
    try:
        connection.login(username, password)
        connection.select(folder)
        _, data = connection.uid("SEARCH", "UNSEEN")
        for raw_uid in (data[0] or b"").split():
            uid = raw_uid.decode()
            _, parts = connection.uid("FETCH", uid, "(RFC822)")
            for part in parts:
                if isinstance(part, tuple):
                    yield uid, part[1]
            connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    except imaplib.IMAP4.error as err:
        raise ProviderError(f"the bounce mailbox refused: {err}", provider="imap") from err
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()
