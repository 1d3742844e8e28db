"""Crash and resume in-process: reconcile with the provider, or apply the uncertain policy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest

from tests.delivery.conftest import make_variant, people, with_settings
from varcomms.context import Context
from varcomms.delivery import deliver, send_status
from varcomms.delivery.providers import Batch, InFlight, Outcome
from varcomms.delivery.providers.memory import MemoryProvider, SentMessage

VARIANTS = {"algemeen": make_variant(paragraphs=2)}


class Crash(BaseException):
    """Stands in for the process dying: nothing after it runs."""


class CrashAfterHandover(MemoryProvider):
    """Accepts batches; dies right after handing over batch number ``crash_at``."""

    def __init__(self, *args: Any, crash_at: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crash_at = crash_at
        self.calls = 0

    def send_batch(self, batch: Batch) -> list[Outcome]:
        outcomes = super().send_batch(batch)
        self.calls += 1
        if self.calls == self.crash_at:
            raise Crash
        return outcomes


class Forgetful(MemoryProvider):
    """A provider that cannot tell what became of in-flight messages (like SMTP)."""

    def reconcile(self, rows: Sequence[InFlight]) -> dict[str, Outcome] | None:
        return None


def crash(ctx: Context, sent: list[SentMessage]) -> None:
    with_settings(ctx, delivery__concurrency=1)
    provider = CrashAfterHandover(ctx, sent=sent, crash_at=2)
    with pytest.raises(Crash):
        deliver(
            ctx, edition_id="2022-02", variants=VARIANTS, recipients=people(250), provider=provider
        )
    assert send_status(ctx, "2022-02").sends[0]["status"] == "interrupted"
    assert len(sent) == 200  # two batches of 100 reached the provider
    assert send_status(ctx, "2022-02").in_flight == 100


def test_resume_reconciles_in_flight_messages(ctx: Context, sent: list[SentMessage]) -> None:
    crash(ctx, sent)
    report = deliver(
        ctx,
        edition_id="2022-02",
        variants=VARIANTS,
        recipients=people(250),
        resume=True,
        provider=MemoryProvider(ctx, sent=sent),
    )
    assert report.resumed and report.reconciled == 100
    assert (report.sent, report.already_done, report.uncertain) == (50, 200, 0)
    assert Counter(Counter(m.email for m in sent).values()) == Counter({1: 250})
    assert send_status(ctx, "2022-02").states == {"sent": 250}


def test_uncertain_messages_are_held_by_default(ctx: Context, sent: list[SentMessage]) -> None:
    crash(ctx, sent)
    report = deliver(
        ctx,
        edition_id="2022-02",
        variants=VARIANTS,
        recipients=people(250),
        resume=True,
        provider=Forgetful(ctx, sent=sent),
    )
    # Held rows keep the send open ("held", resumable), never "finished".
    assert (report.sent, report.uncertain, report.status) == (50, 100, "held")
    assert len(sent) == 250  # nobody twice
    status = send_status(ctx, "2022-02")
    assert status.states == {"sent": 150, "uncertain": 100}
    assert len(status.uncertain) == 100  # every held row, uncapped
    assert status.uncertain[0]["reason"] == "in flight when the send stopped"


def test_policy_resend_prefers_completeness(ctx: Context, sent: list[SentMessage]) -> None:
    crash(ctx, sent)
    with_settings(ctx, delivery__uncertain_policy="resend")
    report = deliver(
        ctx,
        edition_id="2022-02",
        variants=VARIANTS,
        recipients=people(250),
        resume=True,
        provider=Forgetful(ctx, sent=sent),
    )
    assert (report.sent, report.uncertain) == (150, 0)
    copies = Counter(m.email for m in sent)
    assert set(copies.values()) == {1, 2} and sum(v == 2 for v in copies.values()) == 100
    assert send_status(ctx, "2022-02").states == {"sent": 250}
