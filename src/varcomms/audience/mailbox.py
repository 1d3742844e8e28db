"""The ``mailto:`` unsubscribe address: read its mail and apply the requests in it.

Every newsletter's List-Unsubscribe header offers ``mailto:afmelden@<domain>?subject=
afmelden <token>``; a mail client that uses it sends a message with that subject. The
signed token in the subject says who (by subscriber id, never by address) and is checked
with :meth:`TokenSigner.verify`, so a forged message unsubscribes nobody. With
``by_sender`` a message without a valid token unsubscribes its From address (people do
write "please unsubscribe me"; anyone can forge a From, so this is off by default).

Messages come from a folder of ``.eml`` files or an IMAP mailbox (``imaplib``). Each
applied request is an event (channel "mailbox"); applying the same message twice changes
nothing the second time.
"""

from __future__ import annotations

import imaplib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

from varcomms.addresses import InvalidAddressError, normalise_email
from varcomms.context import Context
from varcomms.errors import InputError, VarcommsError
from varcomms.tokens import TokenError, TokenSigner

from .preferences import unsubscribe

_TOKEN = re.compile(r"[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{16,}")
_ASKS = re.compile(r"\b(afmelden|uitschrijven|unsubscribe)\b", re.IGNORECASE)
CHANNEL = "mailbox"


class MailSource(Protocol):
    def messages(self) -> Iterator[tuple[str, bytes]]:
        """(name, raw message) pairs: a file name or an IMAP uid."""
        ...

    def done(self, name: str) -> None:
        """The message was handled (IMAP marks it seen)."""
        ...


class FolderSource:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder", hint="pass a folder of .eml files")
        self.folder = folder

    def messages(self) -> Iterator[tuple[str, bytes]]:
        for path in sorted(self.folder.glob("*.eml")):
            if path.is_file() and not path.is_symlink():
                yield path.name, path.read_bytes()

    def done(self, name: str) -> None:
        pass


class ImapSource:
    """Unread messages of one IMAP folder (TLS by default); each is marked seen after use."""

    def __init__(
        self, host: str, user: str, password: str, *, port: int = 993, folder: str = "INBOX",
        tls: bool = True,
    ) -> None:  # fmt: skip
        try:
            self.imap = imaplib.IMAP4_SSL(host, port) if tls else imaplib.IMAP4(host, port)
            self.imap.login(user, password)
            status, _ = self.imap.select(folder)
        except (OSError, imaplib.IMAP4.error) as err:
            raise VarcommsError(
                f"cannot read the mailbox {folder} on {host}:{port}: {err}",
                hint="check the host, the user and VARCOMMS_IMAP_PASSWORD",
            ) from err
        if status != "OK":
            raise VarcommsError(f"the IMAP folder {folder!r} cannot be opened")

    def messages(self) -> Iterator[tuple[str, bytes]]:
        status, data = self.imap.uid("SEARCH", "UNSEEN")
        if status != "OK":
            return
        for uid in (data[0] or b"").split():
            status, parts = self.imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if status == "OK" and raw is not None:
                yield uid.decode(), raw

    def done(self, name: str) -> None:
        self.imap.uid("STORE", name, "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        try:
            self.imap.close()
            self.imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


@dataclass
class MailboxReport:
    applied: list[str] = field(default_factory=list)  # message names
    already: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # name -> why

    def to_dict(self) -> dict[str, object]:
        return {"applied": self.applied, "already": self.already, "skipped": self.skipped}


def _parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    try:
        return body.get_content() if body is not None else ""
    except (LookupError, ValueError):
        return ""


def apply_unsubscribe_mail(
    ctx: Context, source: MailSource, *, by_sender: bool = False
) -> MailboxReport:
    """Apply every unsubscribe request in ``source``; report what happened to each."""
    signer = TokenSigner.from_secrets(ctx.secrets)
    report = MailboxReport()
    for name, raw in source.messages():
        message = _parse(raw)
        subject = str(message.get("Subject", ""))
        claims = None
        for candidate in _TOKEN.findall(f"{subject}\n{_text(message)}"):
            try:
                claims = signer.verify("unsubscribe", candidate, now=ctx.clock.now())
                break
            except TokenError:
                continue
        sender = None
        if claims is None and by_sender and _ASKS.search(subject):
            try:
                sender = normalise_email(parseaddr(str(message.get("From", "")))[1])
            except InvalidAddressError:
                sender = None
        if claims is None and sender is None:
            report.skipped[name] = "no valid unsubscribe link token"
            source.done(name)
            continue
        if claims is not None:
            subscriber_id = claims.subscriber_id
            address = claims.email if subscriber_id is None else None
        else:
            subscriber_id, address = None, sender
        result = unsubscribe(
            ctx.store,
            subscriber_id=subscriber_id,
            email=address,
            now=ctx.clock.now(),
            channel=CHANNEL,
            source="mailto" if claims else "mail-from-sender",
            edition_id=claims.edition_id if claims else None,
        )
        (report.applied if result.changed else report.already).append(name)
        source.done(name)
    return report
