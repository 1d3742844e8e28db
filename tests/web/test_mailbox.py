"""`audience unsubscribe-mailbox`: requests mailed to the List-Unsubscribe mailto: address."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pytest

from varcomms.audience import export_person, find_subscriber, find_suppression
from varcomms.audience.mailbox import FolderSource, ImapSource, apply_unsubscribe_mail
from varcomms.context import Context
from varcomms.errors import VarcommsError
from varcomms.tokens import TokenSigner

from .conftest import SIGNING_KEY, add_people
from .imap_server import Mailbox, imap_server
from .test_concurrent import config_file

PEOPLE = ("een@example.org", "twee@example.org", "drie@example.org", "vier@example.org")


def write_mail(folder: Path, name: str, *, sender: str, subject: str, body: str = "") -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "afmelden@veiligheidsalliantie.nl"
    message["Subject"] = subject
    message.set_content(body or "Verstuurd vanuit mijn mailprogramma.")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(bytes(message))


@pytest.fixture
def inbox(web_ctx: Context, tmp_path: Path) -> Path:
    add_people(web_ctx, tmp_path, *({"email": e} for e in PEOPLE))
    signer = TokenSigner(SIGNING_KEY)
    ids = {e: find_subscriber(web_ctx.store, e).id for e in PEOPLE}  # type: ignore[union-attr]
    folder = tmp_path / "inbox"
    token = signer.sign(
        "unsubscribe", PEOPLE[0], subscriber_id=ids[PEOPLE[0]], edition_id="2022-01"
    )
    write_mail(folder, "1.eml", sender=PEOPLE[0], subject=f"afmelden {token}")
    # The token in the body (some clients drop the subject), sent from another address.
    token = signer.sign("unsubscribe", PEOPLE[1], subscriber_id=ids[PEOPLE[1]])
    write_mail(folder, "2.eml", sender="doorgestuurd@example.org", subject="Re:", body=token)
    forged = TokenSigner("not-our-signing-key-0123456789").sign(
        "unsubscribe", PEOPLE[2], subscriber_id=ids[PEOPLE[2]]
    )
    write_mail(folder, "3.eml", sender="kwaad@example.org", subject=f"afmelden {forged}")
    write_mail(folder, "4.eml", sender=f"Vier <{PEOPLE[3]}>", subject="Graag afmelden")
    return folder


def statuses(ctx: Context) -> dict[str, str]:
    return {e: find_subscriber(ctx.store, e).status for e in PEOPLE}  # type: ignore[union-attr]


def test_valid_tokens_unsubscribe_and_forged_ones_do_not(web_ctx: Context, inbox: Path) -> None:
    report = apply_unsubscribe_mail(web_ctx, FolderSource(inbox))
    assert report.applied == ["1.eml", "2.eml"]
    assert set(report.skipped) == {"3.eml", "4.eml"}
    assert statuses(web_ctx) == {
        PEOPLE[0]: "unsubscribed",
        PEOPLE[1]: "unsubscribed",
        PEOPLE[2]: "subscribed",
        PEOPLE[3]: "subscribed",
    }
    [event] = export_person(web_ctx, PEOPLE[0])["events"]
    assert (event["provider"], event["edition_id"], event["data"]) == (
        "mailbox",
        "2022-01",
        {"source": "mailto"},
    )
    # Reading the same mail again changes nothing and logs nothing new.
    again = apply_unsubscribe_mail(web_ctx, FolderSource(inbox))
    assert again.applied == [] and again.already == ["1.eml", "2.eml"]
    assert len(export_person(web_ctx, PEOPLE[0])["events"]) == 1


def test_by_sender_honours_a_plain_request_from_the_address_itself(
    web_ctx: Context, inbox: Path
) -> None:
    report = apply_unsubscribe_mail(web_ctx, FolderSource(inbox), by_sender=True)
    assert report.applied == ["1.eml", "2.eml", "3.eml", "4.eml"]
    assert statuses(web_ctx)[PEOPLE[3]] == "unsubscribed"
    # The forged token still names nobody; its sender is the one who asked to leave.
    assert statuses(web_ctx)[PEOPLE[2]] == "subscribed"
    assert find_suppression(web_ctx.store, "kwaad@example.org") is not None


def test_the_command(
    cli,
    web_ctx: Context,
    inbox: Path,
    tmp_path: Path,
    database_url: str,  # type: ignore[no-untyped-def]
) -> None:
    config = config_file(tmp_path, database_url)
    env = {"VARCOMMS_SIGNING_KEY": SIGNING_KEY}
    result = cli("--config", str(config), "audience", "unsubscribe-mailbox", "--folder",
                 str(inbox), "--json", env=env)  # fmt: skip
    assert result.code == 0, result
    assert json.loads(result.stdout)["applied"] == ["1.eml", "2.eml"]
    result = cli("--config", str(config), "audience", "unsubscribe-mailbox", env=env)
    assert result.code != 0 and "--folder or --imap" in result.stderr


def test_an_imap_mailbox_is_read_and_each_message_marked_seen(
    web_ctx: Context, inbox: Path
) -> None:
    box = Mailbox("afmelden", "geheim", [p.read_bytes() for p in sorted(inbox.glob("*.eml"))])
    with imap_server(box) as port:
        source = ImapSource("127.0.0.1", "afmelden", "geheim", port=port, tls=False)
        try:
            report = apply_unsubscribe_mail(web_ctx, source)
        finally:
            source.close()
        assert report.applied == ["1", "2"] and set(report.skipped) == {"3", "4"}
        assert box.seen == {1, 2, 3, 4}
        # A second run finds nothing unread.
        source = ImapSource("127.0.0.1", "afmelden", "geheim", port=port, tls=False)
        try:
            again = apply_unsubscribe_mail(web_ctx, source)
        finally:
            source.close()
    assert (again.applied, again.already, again.skipped) == ([], [], {})
    assert statuses(web_ctx)[PEOPLE[0]] == "unsubscribed"


def test_a_wrong_imap_password_is_a_clear_error(web_ctx: Context) -> None:
    with (
        imap_server(Mailbox("afmelden", "geheim")) as port,
        pytest.raises(VarcommsError, match="cannot read the mailbox"),
    ):
        ImapSource("127.0.0.1", "afmelden", "fout", port=port, tls=False)
