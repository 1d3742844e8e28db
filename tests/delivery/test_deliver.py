"""deliver(): the ledger, personalisation and headers, through the in-memory provider."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.delivery.conftest import make_variant, parse, people, with_settings
from varcomms.context import Context
from varcomms.delivery import deliver, send_status
from varcomms.delivery.providers.memory import MemoryProvider, SentMessage
from varcomms.errors import ConfigError, StateError
from varcomms.store.schema import deliveries, suppressions
from varcomms.tokens import TokenSigner

VARIANTS = {"algemeen": make_variant("algemeen"), "cyber": make_variant("cyber")}


def test_everyone_gets_one_personal_message(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    recipients = people(150) + people(60, variant="cyber", start=150)
    report = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients, provider=memory
    )
    assert report.sent == 210 and report.failed == 0 and report.status == "finished"
    assert report.per_variant == Counter({"algemeen": 150, "cyber": 60})
    assert Counter(m.email for m in sent) == Counter(r.email for r in recipients)
    # Batches respect the provider's limit.
    assert max(memory.batches) <= memory.batch_size
    with ctx.store.connect() as db:
        rows = db.execute(select(deliveries)).all()
    assert len(rows) == 210
    assert {row.state for row in rows} == {"sent"}
    assert all(row.provider_message_id for row in rows)


def test_headers_text_part_and_privacy(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    recipients = people(12)
    deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients, provider=memory)
    signer = TokenSigner.from_secrets(ctx.secrets)
    addresses = {r.email for r in recipients}
    ids = {r.email: r.subscriber_id for r in recipients}
    for item in sent:
        message = parse(item.raw)
        # RFC 8058 one-click: an https link and a mailto, plus the POST marker.
        unsubscribe = str(message["List-Unsubscribe"])
        https, mailto = re.findall(r"<([^>]+)>", unsubscribe)
        assert https.startswith("https://nieuwsbrief.veiligheidsalliantie.nl/afmelden/")
        assert mailto.startswith("mailto:afmelden@veiligheidsalliantie.nl?subject=")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = https.rsplit("/", 1)[1]
        claims = signer.verify("unsubscribe", token)
        assert claims.email is None  # the address stays out of the link
        assert claims.subscriber_id == ids[item.email]
        assert re.fullmatch(
            r"<2022-02\.[0-9a-f]{24}@veiligheidsalliantie\.nl>", message["Message-ID"]
        )
        assert message.get_content_type() == "multipart/alternative"
        parts = list(message.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        text, html = (p.get_content() for p in parts)
        assert token in text and token in html
        assert "%%VARCOMMS" not in text + html
        # No one else's address anywhere in this message (headers or bodies).
        raw = item.raw.decode("ascii")
        others = addresses - {item.email}
        assert not any(other in raw or other in text or other in html for other in others)
        # Lines stay within RFC 5322's limit of 998 (we keep to 78 where we can).
        assert max(len(line) for line in raw.split("\r\n")) <= 998


def test_greeting_uses_name_or_neutral_form_and_escapes_html(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    from varcomms.models import Recipient

    recipients = [
        Recipient(email="a@x.nl", variant="algemeen", first_name="Jan <b>&</b>"),
        Recipient(email="b@x.nl", variant="algemeen"),
        Recipient(email="c@x.nl", variant="algemeen", name="Zoë Öztürk"),
    ]
    deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients, provider=memory)
    by_email = {m.email: parse(m.raw) for m in sent}
    text, html = (p.get_content() for p in by_email["a@x.nl"].iter_parts())
    assert "Beste Jan <b>&</b>," in text
    assert "Beste Jan &lt;b&gt;&amp;&lt;/b&gt;," in html
    assert "Beste lezer," in next(by_email["b@x.nl"].iter_parts()).get_content()
    assert "Zoë Öztürk" in str(by_email["c@x.nl"]["To"])


def test_a_second_send_is_refused_and_resume_skips_the_sent(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(30), provider=memory)
    with pytest.raises(StateError, match="already sent"):
        deliver(
            ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(30), provider=memory
        )
    report = deliver(
        ctx,
        edition_id="2022-02",
        variants=VARIANTS,
        recipients=people(40),  # ten newcomers since
        provider=memory,
        resume=True,
    )
    assert (report.sent, report.already_done) == (10, 30)
    assert len(sent) == 40 and len({m.email for m in sent}) == 40


def test_suppressed_duplicates_and_bad_rows_are_recorded_not_sent(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    from varcomms.models import Recipient

    with ctx.store.begin() as db:
        db.execute(
            suppressions.insert(),
            [
                {
                    "kind": "address",
                    "value": "persoon1@gemeente1.nl",
                    "reason": "bounce",
                    "created_at": ctx.clock.now(),
                },
                {
                    "kind": "domain",
                    "value": "gemeente2.nl",
                    "reason": "complaint",
                    "created_at": ctx.clock.now(),
                },
            ],
        )
    recipients = [
        *people(10),
        Recipient(email="PERSOON3@gemeente3.nl ", variant="algemeen"),  # duplicate of persoon3
        Recipient(email="geen-adres", variant="algemeen"),
        Recipient(email="x@y.nl", variant="onbekend"),
    ]
    report = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=recipients, provider=memory
    )
    assert report.suppressed == 3  # persoon1, and persoon2 and persoon9 at gemeente2
    assert report.duplicates == 1
    assert report.failed == 2
    assert report.sent == 7
    assert {m.email for m in sent}.isdisjoint({"persoon1@gemeente1.nl", "persoon2@gemeente2.nl"})
    status = send_status(ctx, "2022-02")
    assert status.states == {"sent": 7, "suppressed": 3, "failed": 2}
    assert {f["email"] for f in status.failures} == {"geen-adres", "x@y.nl"}


def test_provider_refusals_are_failed_with_reason(ctx: Context, sent: list[SentMessage]) -> None:
    memory = MemoryProvider(
        ctx, sent=sent, refuse=lambda m: "550 no such user" if "7@" in m.email else None
    )
    report = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(20), provider=memory
    )
    assert report.failed == 2 and report.sent == 18
    assert ("persoon7@gemeente0.nl", "550 no such user") in report.failures


def test_test_send_is_marked_and_does_not_block_the_real_send(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    from varcomms.models import Recipient

    editors = [Recipient(email="redactie@veiligheidsalliantie.nl", variant="algemeen")]
    for _ in range(2):  # tests may be repeated
        report = deliver(
            ctx,
            edition_id="2022-02",
            variants=VARIANTS,
            recipients=editors,
            is_test=True,
            provider=memory,
        )
        assert report.sent == 1
    assert all(str(parse(m.raw)["Subject"]).startswith("[TEST] ") for m in sent)
    real = deliver(
        ctx, edition_id="2022-02", variants=VARIANTS, recipients=editors, provider=memory
    )
    assert real.sent == 1
    assert not str(parse(sent[-1].raw)["Subject"]).startswith("[TEST]")
    assert send_status(ctx, "2022-02").states == {"sent": 1}


def test_missing_signing_key_fails_before_anything_is_written(
    ctx: Context, memory: MemoryProvider, sent: list[SentMessage]
) -> None:
    from varcomms.config import load_secrets

    ctx.secrets = load_secrets({})
    with pytest.raises(ConfigError, match="VARCOMMS_SIGNING_KEY"):
        deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(3), provider=memory)
    assert sent == []
    with ctx.store.connect() as db:
        assert db.execute(select(deliveries)).first() is None


class RemoteMemoryProvider(MemoryProvider):
    """The in-memory provider, declared remote: as if its messages left the machine."""

    capabilities = replace(MemoryProvider.capabilities, remote=True)


def test_remote_providers_are_paced_local_ones_are_not(
    ctx: Context, sent: list[SentMessage]
) -> None:
    with_settings(ctx, delivery__rate_per_second=50.0)
    local = MemoryProvider(ctx, sent=sent, rng=random.Random(7))
    deliver(ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(250), provider=local)
    assert ctx.clock.slept == []  # an outbox or memory send has nobody to protect
    remote = RemoteMemoryProvider(ctx, sent=sent, rng=random.Random(7))
    deliver(ctx, edition_id="2022-03", variants=VARIANTS, recipients=people(250), provider=remote)
    # 250 messages in batches of 100 at 50/s: the later batches wait 2 s each.
    assert sum(ctx.clock.slept) == pytest.approx(4.0, abs=0.01)
