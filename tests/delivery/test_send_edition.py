"""The real path, end to end: edition folder → audience → render → delivery.

The sample edition (newsletters/2022-01) is copied into tmp, the sample audience
(320 fictional people) is imported with the audience stage, both roles approve it, and
``send_edition`` writes one .eml per recipient into a tmp outbox; the messages are read
back with the standard library's parser. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import shutil
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.conftest import ROOT
from tests.delivery.conftest import SIGNING_KEY, parse
from varcomms import render
from varcomms.audience import import_csv, iter_recipients, load_segment, suppress
from varcomms.config import load_secrets
from varcomms.context import Context
from varcomms.delivery import plan_send, send_edition, send_status
from varcomms.delivery.erasure import erase
from varcomms.delivery.lock import send_lock
from varcomms.delivery.providers import Batch
from varcomms.delivery.providers.outbox import INDEX_NAME, OutboxProvider
from varcomms.editions import approve, lint_edition, load_edition
from varcomms.errors import InputError, StateError, VarcommsError
from varcomms.models import EditionStatus, Subscriber
from varcomms.store.schema import deliveries, subscribers
from varcomms.tokens import TokenSigner

EDITION = "2022-01"
THEMED_SECTION = "thema-verward-gedrag"
THEME = "verward-gedrag"
THEMED_TITLE = "Personen met verward gedrag"
SOFT_BREAK = re.compile(rb"=\r?\n")  # quoted-printable line continuations
ADDRESS = re.compile(rb"[\w.+-]+@[\w.-]+\.example\.org")
SUBJECT = "Cyberweerbaarheid, ondermijning en de agenda voor 2022"


@pytest.fixture
def real(ctx: Context, tmp_path: Path) -> Context:
    """The sample edition in tmp and the sample audience in the test database."""
    shutil.copytree(ROOT / "newsletters" / EDITION, tmp_path / "newsletters" / EDITION)
    paths = ctx.config.paths.model_copy(update={"newsletters": tmp_path / "newsletters"})
    ctx.config = ctx.config.model_copy(update={"paths": paths})
    report = import_csv(ctx, ROOT / "audiences" / "sample-subscribers.csv")
    assert not report.skipped
    return ctx


def approved(ctx: Context) -> Context:
    approve(ctx, EDITION, "var", "Astrid de Jong")
    assert approve(ctx, EDITION, "riec", "Ruud Bakker").approved
    return ctx


def audience(ctx: Context, segment: str | None = None) -> dict[str, Subscriber]:
    chosen = load_segment(ctx.config, segment) if segment else None
    return {s.email: s for s in iter_recipients(ctx.store, chosen)}


def raw_outbox(ctx: Context) -> list[bytes]:
    folder = ctx.config.resolve(ctx.config.provider.outbox.directory) / EDITION
    return [path.read_bytes() for path in sorted(folder.glob("*.eml"))]


def outbox(ctx: Context) -> list[EmailMessage]:
    return [parse(raw) for raw in raw_outbox(ctx)]


def addressee(message: EmailMessage) -> str:
    return message["To"].addresses[0].addr_spec


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    return text.get_content(), html.get_content()


@pytest.fixture
def render_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count render_variant calls per variant key, rendering for real."""
    calls: Counter[str] = Counter()
    original = render.render_variant

    def counting(config: Any, edition: Any, variant: render.Variant, *args: Any, **kw: Any) -> Any:
        calls[variant.key] += 1
        return original(config, edition, variant, *args, **kw)

    monkeypatch.setattr(render, "render_variant", counting)
    return calls


def test_everyone_subscribed_gets_exactly_one_personal_message(
    real: Context, render_calls: Counter[str]
) -> None:
    ctx = approved(real)
    people = audience(ctx)
    assert 280 < len(people) < 320  # the sample: 320 people, most of them subscribed
    summary = plan_send(ctx, EDITION)
    assert summary.recipients == len(people)

    report = send_edition(ctx, EDITION)

    assert (report.status, report.sent, report.failed) == ("finished", len(people), 0)
    raws = raw_outbox(ctx)
    messages = [parse(raw) for raw in raws]
    assert Counter(addressee(m) for m in messages) == Counter(set(people))  # one each, no one else
    themed = {e for e, s in people.items() if THEME in s.themes}
    assert 0 < len(themed) < len(people)
    # Each variant was rendered once, not once per recipient.
    assert render_calls == Counter({"algemeen": 1, THEMED_SECTION: 1})
    signer = TokenSigner(SIGNING_KEY)
    everyone = set(people)
    for raw, message in zip(raws, messages, strict=True):
        email = addressee(message)
        person = people[email]
        assert str(message["Subject"]) == SUBJECT
        text, html = parts(message)
        # Nobody else's address anywhere in the message (headers or either part).
        found = {a.decode() for a in ADDRESS.findall(SOFT_BREAK.sub(b"", raw))}
        assert everyone & found == {email}
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        https, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
        assert mailto.startswith("mailto:")
        token = https.rsplit("/", 1)[1]
        claims = signer.verify("unsubscribe", token)
        assert (claims.subscriber_id, claims.email, claims.edition_id) == (
            person.id,
            None,
            EDITION,
        )
        assert email not in base64.urlsafe_b64decode(token.split(".")[0] + "==").decode()
        assert https in html and https in text
        greeting = person.first_name or "lezer"
        assert text.count("Beste ") == 1 and f"Beste {greeting}," in text
        assert html.count("Beste ") == 1 and f"Beste {greeting}," in html
        assert (THEMED_TITLE in text) == (email in themed), email
    assert load_edition(ctx.config, EDITION).status is EditionStatus.SENT
    status = send_status(ctx, EDITION)
    assert status.states == {"sent": len(people)}
    assert status.per_variant[THEMED_SECTION] == {"sent": len(themed)}


def test_a_second_send_sends_nothing(real: Context) -> None:
    ctx = approved(real)
    first = send_edition(ctx, EDITION)
    for resume in (False, True):
        with pytest.raises(StateError, match="already sent; nothing was sent again"):
            send_edition(ctx, EDITION, resume=resume)
    assert len(outbox(ctx)) == first.sent


def test_a_mistyped_test_address_is_refused_before_anything_leaves(real: Context) -> None:
    ctx = real
    with pytest.raises(InputError, match=r"test address 'redactie@veiligheidsalliantie'"):
        send_edition(ctx, EDITION, test_to=("redactie@veiligheidsalliantie",))
    assert outbox(ctx) == []


def test_a_draft_may_go_to_a_test_address_but_not_to_the_audience(real: Context) -> None:
    ctx = real
    assert load_edition(ctx.config, EDITION).status is EditionStatus.DRAFT
    with pytest.raises(StateError, match="draft, not approved"):
        send_edition(ctx, EDITION)

    report = send_edition(ctx, EDITION, test_to=("Redactie@VeiligheidsAlliantie.nl",))

    assert (report.is_test, report.sent) == (True, 1)
    (message,) = outbox(ctx)
    assert str(message["Subject"]) == f"[TEST] {SUBJECT}"
    assert addressee(message) == "redactie@veiligheidsalliantie.nl"
    text, _ = parts(message)
    assert THEMED_TITLE in text  # editors see every themed section
    assert "Beste lezer," in text and text.count("Beste ") == 1  # no name for a test address
    assert load_edition(ctx.config, EDITION).status is EditionStatus.DRAFT
    assert send_status(ctx, EDITION).states == {}  # a test is no part of the real send

    approve(ctx, EDITION, "var", "Astrid de Jong")  # the RIEC has not signed yet: review
    with pytest.raises(StateError, match="review, not approved"):
        send_edition(ctx, EDITION)
    assert len(outbox(ctx)) == 1


def test_a_segment_limits_the_audience(real: Context) -> None:
    ctx = approved(real)
    partners = audience(ctx, "riec-partners")
    assert 0 < len(partners) < len(audience(ctx))
    report = send_edition(ctx, EDITION, segment="riec-partners")
    assert report.sent == len(partners)
    assert {addressee(m) for m in outbox(ctx)} == set(partners)


def test_a_resumed_segment_send_keeps_its_segment(
    real: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = approved(real)
    partners = audience(ctx, "riec-partners")
    write = OutboxProvider.send_batch

    def crash_halfway_through_the_first_batch(self: OutboxProvider, batch: Batch) -> Any:
        write(self, dataclasses.replace(batch, messages=batch.messages[:5]))
        raise KeyboardInterrupt

    monkeypatch.setattr(OutboxProvider, "send_batch", crash_halfway_through_the_first_batch)
    with pytest.raises(KeyboardInterrupt):
        send_edition(ctx, EDITION, segment="riec-partners")
    monkeypatch.setattr(OutboxProvider, "send_batch", write)
    written = len(outbox(ctx))  # five of each batch in flight when it crashed
    assert 0 < written < len(partners)
    with pytest.raises(StateError, match="went to 'riec-partners', not 'all'"):
        send_edition(ctx, EDITION, segment="all", resume=True)
    assert plan_send(ctx, EDITION).recipients == len(partners)

    report = send_edition(ctx, EDITION, resume=True)  # no --segment: the one it began with

    assert report.reconciled == written and report.status == "finished"
    received = Counter(addressee(m) for m in outbox(ctx))
    assert set(received) == set(partners) and set(received.values()) == {1}


def test_audience_all_means_everyone(real: Context) -> None:
    ctx = real
    folder = ctx.config.newsletters_dir / EDITION
    assert "audience: all" in (folder / "edition.yaml").read_text(encoding="utf-8")
    assert load_edition(ctx.config, EDITION).audience is None  # not a segment named "all"
    findings = lint_edition(ctx, EDITION).findings
    assert not [f for f in findings if f.code == "audience-unknown"]
    approved(ctx)
    assert plan_send(ctx, EDITION, segment="All").recipients == len(audience(ctx))


def test_the_summary_counts_suppressed_people(real: Context) -> None:
    ctx = approved(real)
    before = plan_send(ctx, EDITION)
    someone = next(iter(audience(ctx)))
    suppress(ctx.store, someone, kind="address", reason="bounce", source=None, now=ctx.clock.now())
    after = plan_send(ctx, EDITION)
    assert (after.recipients, after.suppressed) == (before.recipients - 1, before.suppressed + 1)


def test_resume_after_an_interrupted_run_finishes_and_skips_who_left(
    real: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = approved(real)
    people = list(audience(ctx))
    write = OutboxProvider.send_batch
    calls = Counter[str]()

    def ctrl_c_on_the_second_batch(self: OutboxProvider, batch: Batch) -> Any:
        calls["batches"] += 1
        if calls["batches"] == 2:
            raise KeyboardInterrupt
        return write(self, batch)

    monkeypatch.setattr(OutboxProvider, "send_batch", ctrl_c_on_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        send_edition(ctx, EDITION)
    monkeypatch.setattr(OutboxProvider, "send_batch", write)
    sent_before = {addressee(m) for m in outbox(ctx)}
    assert 0 < len(sent_before) < len(people)
    assert load_edition(ctx.config, EDITION).status is EditionStatus.SENDING
    with pytest.raises(StateError, match="has an unfinished send") as refused:
        send_edition(ctx, EDITION)
    assert "--resume" in (refused.value.hint or "")

    # Between the runs someone still waiting is suppressed and someone unsubscribes; a
    # pending ledger row is left for them as a crash would leave it.
    waiting = [e for e in people if e not in sent_before]
    gone_suppressed, gone_unsubscribed = waiting[-1], waiting[-2]
    suppress(ctx.store, gone_suppressed, kind="address", reason="complaint", source=None,
             now=ctx.clock.now())  # fmt: skip
    with ctx.store.begin() as db:
        db.execute(
            update(subscribers)
            .where(subscribers.c.email == gone_unsubscribed)
            .values(status="unsubscribed")
        )
        send_id = db.execute(select(deliveries.c.send_id).limit(1)).scalar_one()
        claimed = set(db.execute(select(deliveries.c.email)).scalars())
        for email in {gone_suppressed, gone_unsubscribed} - claimed:
            db.execute(
                deliveries.insert().values(
                    send_id=send_id, edition_id=EDITION, recipient_key=email, email=email,
                    subscriber_id=audience_id(ctx, email), variant="algemeen", state="pending",
                    attempts=0, updated_at=ctx.clock.now(),
                )
            )  # fmt: skip

    report = send_edition(ctx, EDITION, resume=True)

    assert report.resumed and report.status == "finished"
    received = Counter(addressee(m) for m in outbox(ctx))
    assert set(received.values()) == {1}
    assert set(received) == set(people) - {gone_suppressed, gone_unsubscribed}
    assert report.suppressed == 2
    assert load_edition(ctx.config, EDITION).status is EditionStatus.SENT
    assert send_status(ctx, EDITION).states == {"sent": len(people) - 2, "suppressed": 2}


def audience_id(ctx: Context, email: str) -> int:
    with ctx.store.connect() as db:
        return db.execute(select(subscribers.c.id).where(subscribers.c.email == email)).scalar_one()


def test_a_second_process_cannot_send_the_same_edition_at_once(real: Context) -> None:
    ctx = approved(real)
    from varcomms.store import Store

    other = Store.open(ctx.database_url)  # another engine: another process, as far as locks go
    try:
        with send_lock(other, EDITION):
            with pytest.raises(StateError, match="being sent by another process"):
                send_edition(ctx, EDITION)
            assert outbox(ctx) == []
            # A test send does not take the lock.
            assert send_edition(ctx, EDITION, test_to=("redactie@veiligheidsalliantie.nl",)).sent
        assert send_edition(ctx, EDITION, resume=True).status == "finished"
    finally:
        other.close()
    assert (
        real.config.resolve(real.config.provider.outbox.directory) / EDITION / INDEX_NAME
    ).exists()


def test_an_edit_after_approval_voids_it_and_nothing_is_sent(real: Context) -> None:
    ctx = approved(real)
    intro = ctx.config.newsletters_dir / EDITION / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\nNog een zin.\n", encoding="utf-8")
    with pytest.raises(StateError, match="changed after its var sign-off") as refused:
        send_edition(ctx, EDITION)
    assert "edition approve" in (refused.value.hint or "")
    assert outbox(ctx) == []


def test_a_send_refused_at_set_up_leaves_the_edition_approved(real: Context) -> None:
    ctx = approved(real)
    ctx.secrets = load_secrets({})  # no signing key: refused before anything leaves
    with pytest.raises(VarcommsError, match="VARCOMMS_SIGNING_KEY"):
        send_edition(ctx, EDITION)
    assert load_edition(ctx.config, EDITION).status is EditionStatus.APPROVED
    assert outbox(ctx) == []


def test_a_test_send_never_reaches_a_suppressed_or_erased_address(real: Context) -> None:
    ctx = real
    complained, erased = list(audience(ctx))[:2]
    suppress(ctx.store, complained, kind="address", reason="complaint", source=None,
             now=ctx.clock.now())  # fmt: skip
    erase(ctx, erased)  # only a salted hash of the address is left
    summary = plan_send(
        ctx, EDITION, test_to=(complained, erased, "redactie@veiligheidsalliantie.nl")
    )
    assert (summary.recipients, summary.suppressed) == (1, 2)

    report = send_edition(
        ctx, EDITION, test_to=(complained, erased.upper(), "redactie@veiligheidsalliantie.nl")
    )

    assert (report.sent, report.suppressed) == (1, 2)
    assert [addressee(m) for m in outbox(ctx)] == ["redactie@veiligheidsalliantie.nl"]
