"""Glue from an edition to :func:`deliver`: load, check approval, group, render once.

Thin on purpose: the stages it calls (editions, audience, render) own their logic.
Their modules are imported inside the functions, so delivery does not depend on them
at import time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from varcomms.context import Context
from varcomms.delivery.ledger import Ledger
from varcomms.delivery.personalise import normalise_address
from varcomms.delivery.providers import Requirements, make_provider
from varcomms.delivery.report import SendReport, SendSummary
from varcomms.delivery.send import Progress, deliver
from varcomms.delivery.suppression import Suppressions
from varcomms.errors import StateError
from varcomms.models import EditionStatus, Recipient
from varcomms.tokens import TokenSigner

if TYPE_CHECKING:
    from varcomms.models import Edition

SENDABLE = (EditionStatus.APPROVED, EditionStatus.SCHEDULED, EditionStatus.SENDING)


def _edition(ctx: Context, edition_id: str, *, is_test: bool) -> Edition:
    from varcomms.editions import load_edition

    edition = load_edition(ctx.config, edition_id)
    if not is_test and edition.status not in SENDABLE:
        raise StateError(
            f"edition {edition_id!r} is {edition.status}, not approved",
            hint="only an approved edition goes to its audience; "
            "a test send (--test-to) can go any time",
        )
    return edition


def _audience(
    ctx: Context, edition: Edition, segment: str | None, test_to: Sequence[str]
) -> Iterator[tuple[Recipient, Any]]:
    """(recipient, render variant) pairs, streamed from the audience or the test list."""
    from varcomms.render import variant_for

    if test_to:
        # Editors get every themed section: the test shows the whole edition.
        every_theme = frozenset(s.theme for s in edition.themed_sections if s.theme)
        variant = variant_for(edition, every_theme)
        for address in test_to:
            yield Recipient(email=address, variant=variant.key), variant
        return
    from varcomms.audience import iter_recipients, load_segment

    name = segment or edition.audience
    chosen = load_segment(ctx.config, name) if name else None
    for subscriber in iter_recipients(ctx.store, chosen):
        variant = variant_for(edition, subscriber.themes)
        recipient = Recipient(
            email=subscriber.email,
            variant=variant.key,
            name=subscriber.name,
            first_name=subscriber.first_name,
            subscriber_id=subscriber.id,
        )
        yield recipient, variant


def check_setup(ctx: Context) -> None:
    """Fail now on an unknown provider, a missing key or signing secret, an unreachable
    server or a capability the provider lacks: before anyone confirms anything."""
    provider = make_provider(ctx)
    provider.check(Requirements())
    TokenSigner.from_secrets(ctx.secrets)
    provider.open()
    provider.close()


def plan_send(
    ctx: Context,
    edition_id: str,
    *,
    segment: str | None = None,
    test_to: Sequence[str] = (),
    dry_run: bool = False,
) -> SendSummary:
    """What a send would do: recipients per variant, suppressed, already done."""
    is_test = bool(test_to)
    edition = _edition(ctx, edition_id, is_test=is_test or dry_run)
    if not dry_run:
        check_setup(ctx)
    summary = SendSummary(
        edition_id=edition_id,
        provider=ctx.config.provider.name,
        rate_per_second=ctx.config.delivery.rate_per_second,
        is_test=is_test,
    )
    suppressions = Suppressions.load(ctx.store)
    for recipient, _ in _audience(ctx, edition, segment, test_to):
        if suppressions.reason(normalise_address(recipient.email)):
            summary.suppressed += 1
        else:
            summary.per_variant[recipient.variant] += 1
    if not is_test and Ledger(ctx.store, ctx.clock).latest_send(edition_id):
        summary.already_done = _count_done(ctx, edition_id)
    return summary


def _count_done(ctx: Context, edition_id: str) -> int:
    from varcomms.delivery.status import send_status

    states = send_status(ctx, edition_id).states
    return sum(states.get(s, 0) for s in ("sent", "failed", "suppressed"))


def send_edition(
    ctx: Context,
    edition_id: str,
    *,
    segment: str | None = None,
    dry_run: bool = False,
    test_to: Sequence[str] = (),
    resume: bool = False,
    progress: Progress | None = None,
) -> SendReport:
    """Send an edition to its audience (or to ``test_to``), each variant rendered once."""
    is_test = bool(test_to)
    edition = _edition(ctx, edition_id, is_test=is_test or dry_run)
    # Two passes over the audience: one to learn which variants are needed, one to send.
    # Both stream; neither holds the audience in memory.
    from varcomms.render import render_variant

    needed: dict[str, Any] = {}
    for _, variant in _audience(ctx, edition, segment, test_to):
        needed.setdefault(variant.key, variant)
    variants = {key: render_variant(ctx.config, edition, v) for key, v in needed.items()}
    real = not (is_test or dry_run)
    if real and edition.status is not EditionStatus.SENDING:
        from varcomms.editions import set_status

        set_status(ctx, edition_id, EditionStatus.SENDING)
    report = deliver(
        ctx,
        edition_id=edition_id,
        variants=variants,
        recipients=(recipient for recipient, _ in _audience(ctx, edition, segment, test_to)),
        segment=segment,
        is_test=is_test,
        resume=resume,
        dry_run=dry_run,
        progress=progress,
    )
    if real and report.status == "finished":
        from varcomms.editions import set_status

        set_status(ctx, edition_id, EditionStatus.SENT)
    return report


__all__ = ["check_setup", "plan_send", "send_edition"]
