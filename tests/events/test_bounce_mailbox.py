"""Bounce reports for the SMTP provider: RFC 3464 reports read from a folder."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import FIXTURES
from varcomms.audience import find_subscriber, is_suppressed
from varcomms.context import Context
from varcomms.errors import ProviderError
from varcomms.events.dsn import NotABounceError, parse_dsn
from varcomms.events.mailbox import _imap_unseen, read_bounce_folder
from varcomms.store.schema import events

from .conftest import NOW, SEND_ID

REPORTS = FIXTURES / "events"


def test_a_postfix_report_is_a_hard_bounce_tied_to_our_message_id() -> None:
    [event] = parse_dsn((REPORTS / "hard-bounce.eml").read_bytes(), received=NOW)
    assert event.email == "bram.bakker@politie.example.nl"
    assert event.data["bounce"] == "hard" and event.data["code"] == "5.1.1"
    assert "User unknown" in event.data["reason"]
    assert event.message_id == "2022-01.bbbb2222@veiligheidsalliantie.nl"
    assert event.occurred_at.isoformat() == "2022-02-01T10:15:02+01:00"


def test_a_delay_is_a_soft_bounce_and_an_auto_reply_is_no_bounce() -> None:
    [event] = parse_dsn((REPORTS / "delayed.eml").read_bytes(), received=NOW)
    assert event.data["bounce"] == "soft" and event.data["code"] == "4.2.2"
    with pytest.raises(NotABounceError):
        parse_dsn((REPORTS / "auto-reply.eml").read_bytes(), received=NOW)


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "bounces"
    inbox.mkdir()
    for name in ("hard-bounce.eml", "delayed.eml", "auto-reply.eml"):
        shutil.copy(REPORTS / name, inbox / name)
    return inbox


def test_reading_a_folder_applies_bounces_and_moves_files(events_ctx: Context, tmp_path) -> None:
    inbox = _inbox(tmp_path)
    report = read_bounce_folder(events_ctx, inbox)
    assert report.messages == 3 and report.not_bounces == ["auto-reply.eml"]
    assert report.events.stored == 2
    assert is_suppressed(events_ctx.store, "bram.bakker@politie.example.nl")
    record = find_subscriber(events_ctx.store, "dirk.visser@gemeente.example.nl")
    assert record is not None and record.status == "subscribed"  # one delay is not enough
    with events_ctx.store.connect() as db:
        rows = db.execute(select(events.c.email, events.c.send_id)).all()
    assert ("bram.bakker@politie.example.nl", SEND_ID) in rows
    assert sorted(p.name for p in inbox.glob("*.eml")) == []
    assert len(list((inbox / "processed").glob("*.eml"))) == 3
    # The same reports again (a restored backup, a second copy): nothing doubles.
    for path in (inbox / "processed").glob("*.eml"):
        shutil.copy(path, inbox / path.name)
    assert read_bounce_folder(events_ctx, inbox).events.stored == 0


def test_cli_read_bounces(cli, events_ctx: Context, tmp_path: Path) -> None:
    from tests.conftest import ROOT

    url = events_ctx.store.engine.url.render_as_string(hide_password=False)
    config = tmp_path / "varcomms.toml"
    config.write_text(
        f'database_url = "{url}"\n' + (ROOT / "varcomms.toml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    inbox = _inbox(tmp_path)
    result = cli("--config", str(config), "events", "read-bounces", str(inbox), "--json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["messages"] == 3 and data["stored"] == 2 and data["suppressed"] == 1
    both = cli("--config", str(config), "events", "read-bounces", str(inbox), "--imap")
    assert both.code == 2


def test_an_unreachable_bounce_mailbox_is_a_provider_error_not_a_crash() -> None:
    # Regression (found by mypy): the error was built without provider=, so reaching
    # the handler raised a TypeError instead of the message.
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ProviderError, match=f"cannot reach the bounce mailbox 127.0.0.1:{port}"):
        list(_imap_unseen("127.0.0.1", port, "user", "password", "INBOX"))
