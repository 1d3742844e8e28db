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
from varcomms.delivery.policy import SendState
from varcomms.delivery.providers import Provider, Requirements, make_provider
from varcomms.delivery.report import SendReport, SendSummary
from varcomms.delivery.send import Progress, deliver
from varcomms.errors import InputError, StateError
from varcomms.models import EditionStatus, Recipient, is_everyone
from varcomms.tokens import TokenSigner

if TYPE_CHECKING:
    from varcomms.models import Edition

SENDABLE = (EditionStatus.APPROVED, EditionStatus.SCHEDULED, EditionStatus.SENDING)
DEPARTED = "no longer in the audience (unsubscribed or suppressed since the send began)"


def audience_name(edition: Edition, segment: str | None) -> str | None:
    """The segment a send goes to: ``segment``, else the edition's; None is everyone."""
    name = segment or edition.audience
    return None if is_everyone(name) else name


class EmptyAudienceError(InputError):
    """A real send would reach nobody: refused, so the edition never becomes "sent"."""

    exit_code = 2


def _ledger_state(ctx: Context, edition_id: str) -> tuple[bool, bool]:
    """(has rows, has work): whether the edition's real send wrote any ledger row, and
    whether rows are still pending or held (an editor released them, or a crash)."""
    ledger = Ledger(ctx.store, ctx.clock)
    previous = ledger.latest_send(edition_id)
    if previous is None:
        return False, False
    states = ledger.count_states(previous.id)
    work = states.get("pending", 0) + states.get("uncertain", 0)
    return bool(states), bool(work)


def _check_segment(ctx: Context, segment: str | None) -> None:
    """A named segment must exist, for every kind of send (tests and dry runs too)."""
    if segment is not None and not is_everyone(segment):
        from varcomms.audience import load_segment

        load_segment(ctx.config, segment)


def _continued_segment(
    ctx: Context, edition: Edition, segment: str | None, *, resume: bool
) -> str | None:
    """A resumed send keeps the audience it started with, whatever the edition says now."""
    previous = Ledger(ctx.store, ctx.clock).latest_send(edition.id)
    if previous is None or previous.status == SendState.FINISHED:
        return segment
    recorded = previous.segment or "all"
    if segment is not None and audience_name(edition, segment) != previous.segment:
        if not resume:
            return segment  # deliver refuses this without --resume, and says so
        raise StateError(
            f"the send of {edition.id} being resumed went to {recorded!r}, not {segment!r}",
            hint=f"resume it without --segment: `varcomms send {edition.id} --resume`",
        )
    return recorded


def _edition(ctx: Context, edition_id: str, *, is_test: bool) -> Edition:
    from varcomms.editions import load_edition

    edition = load_edition(ctx.config, edition_id)
    if not is_test and edition.status is EditionStatus.SENT:
        has_rows, has_work = _ledger_state(ctx, edition_id)
        if has_rows and not has_work:
            raise StateError(
                f"edition {edition_id!r} was already sent; nothing was sent again",
                hint=f"`varcomms send status {edition_id}` shows who got it",
            )
        # Marked sent, yet the ledger shows nobody reached (a send to an empty audience
        # before this was refused) or rows an editor released: it may be sent on.
        return edition
    if not is_test and edition.status not in SENDABLE:
        raise StateError(
            f"edition {edition_id!r} is {edition.status}, not approved",
            hint="only an approved edition goes to its audience; "
            "a test send (--test-to) can go any time",
        )
    if not is_test and edition.status is not EditionStatus.SENDING:
        from varcomms.editions import required_roles

        # load_edition leaves out sign-offs that an edit since has voided.
        signed = {signoff.role for signoff in edition.signoffs}
        missing = [role for role in required_roles(edition.brands) if role not in signed]
        if missing:
            raise StateError(
                f"edition {edition_id!r} was changed after its {missing[0]} sign-off; "
                "nothing was sent",
                hint=f"have it approved again: `varcomms edition approve {edition_id} "
                f"--as {missing[0]}`",
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

    name = audience_name(edition, segment)
    chosen = load_segment(ctx.config, name) if name else None
    for subscriber in iter_recipients(ctx.store, chosen, now=ctx.clock.now()):
        variant = variant_for(edition, subscriber.themes)
        recipient = Recipient(
            email=subscriber.email,
            variant=variant.key,
            name=subscriber.name,
            first_name=subscriber.first_name,
            subscriber_id=subscriber.id,
        )
        yield recipient, variant


def check_setup(ctx: Context) -> Provider:
    """Fail now on an unknown provider, a missing key or signing secret, an unreachable
    server or a capability the provider lacks: before anyone confirms anything."""
    provider = make_provider(ctx)
    provider.check(Requirements())
    TokenSigner.from_secrets(ctx.secrets)
    provider.open()
    provider.close()
    return provider


def _checked_test_addresses(test_to: Sequence[str]) -> tuple[str, ...]:
    """Test addresses are typed by an editor: validate them as an import would."""
    from varcomms.addresses import InvalidAddressError, normalise_email

    checked = []
    for address in test_to:
        try:
            checked.append(normalise_email(address))
        except InvalidAddressError as err:
            raise InputError(f"test address {address!r}: {err}", field="--test-to") from err
    return tuple(checked)


def plan_send(
    ctx: Context,
    edition_id: str,
    *,
    segment: str | None = None,
    test_to: Sequence[str] = (),
    dry_run: bool = False,
) -> SendSummary:
    """What a send would do: recipients per variant, suppressed, already done."""
    test_to = _checked_test_addresses(test_to)
    is_test = bool(test_to)
    _check_segment(ctx, segment)
    edition = _edition(ctx, edition_id, is_test=is_test or dry_run)
    provider = None if dry_run else check_setup(ctx)
    if not (is_test or dry_run):
        segment = _continued_segment(ctx, edition, segment, resume=True)
    summary = SendSummary(
        edition_id=edition_id,
        provider=ctx.config.provider.name,
        rate_per_second=(
            None
            if provider is None or not provider.effective_capabilities.remote
            else ctx.config.delivery.rate_per_second or provider.default_rate
        ),
        rate_unit=provider.effective_capabilities.rate_unit if provider else "messages",
        is_test=is_test,
    )
    from varcomms.audience import count_suppressed, erasure_key, load_segment, suppressed_among

    suppressed: set[str] = set()
    if is_test:
        suppressed = set(suppressed_among(ctx.store, test_to, key=erasure_key(ctx)))
    else:
        # The audience leaves suppressed people out; count them apart for the summary.
        name = audience_name(edition, segment)
        chosen = load_segment(ctx.config, name) if name else None
        summary.suppressed = count_suppressed(ctx.store, chosen)
    for recipient, _ in _audience(ctx, edition, segment, test_to):
        if recipient.email in suppressed:
            summary.suppressed += 1
        else:
            summary.per_variant[recipient.variant] += 1
    if not is_test and Ledger(ctx.store, ctx.clock).latest_send(edition_id):
        summary.already_done = _count_done(ctx, edition_id)
    if not is_test and summary.recipients == 0:
        raise _empty(edition_id, audience_name(edition, segment))
    return summary


def _empty(edition_id: str, segment: str | None) -> EmptyAudienceError:
    where = f"segment {segment!r}" if segment else "the audience"
    return EmptyAudienceError(
        f"edition {edition_id!r} would reach 0 recipients in {where}; nothing was sent",
        hint="import the audience first (`varcomms audience import FILE`)"
        + (
            f", or check the segment `{segment}` (`varcomms audience count --segment {segment}`)"
            if segment
            else ""
        )
        + "; `varcomms audience count` shows who is subscribed",
    )


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
    test_to = _checked_test_addresses(test_to)
    is_test = bool(test_to)
    _check_segment(ctx, segment)
    edition = _edition(ctx, edition_id, is_test=is_test or dry_run)
    if not (is_test or dry_run):
        segment = _continued_segment(ctx, edition, segment, resume=resume)
    # Two passes over the audience: one to learn which variants are needed, one to send.
    # Both stream; neither holds the audience in memory.
    from varcomms.render import Parsed, Templates, render_variant

    needed: dict[str, Any] = {}
    count = 0
    for _, variant in _audience(ctx, edition, segment, test_to):
        needed.setdefault(variant.key, variant)
        count += 1
    real = not (is_test or dry_run)
    if count == 0 and not is_test:
        raise _empty(edition_id, audience_name(edition, segment))
    # One set of compiled templates for the send: each variant is rendered once; and the
    # variants share most of their markup, so its checks are parsed once too.
    templates = Templates(ctx.config.templates_dir)
    parsed = Parsed()
    variants = {
        key: render_variant(ctx.config, edition, v, templates, parsed=parsed)
        for key, v in needed.items()
    }

    def mark_sending() -> None:
        # Only once the provider, keys and lock are in place: a send refused at set-up
        # leaves the edition approved (and reopenable), not stuck in "sending".
        if real and edition.status is EditionStatus.SENT:
            from varcomms.editions import back_to_sending

            back_to_sending(ctx, edition_id)
        elif real and edition.status is not EditionStatus.SENDING:
            from varcomms.editions import set_status

            set_status(ctx, edition_id, EditionStatus.SENDING)

    def settle_departed(report: SendReport) -> None:
        if real:
            _settle_departed(ctx, edition, segment, report)

    report = deliver(
        ctx,
        edition_id=edition_id,
        variants=variants,
        recipients=(recipient for recipient, _ in _audience(ctx, edition, segment, test_to)),
        segment=audience_name(edition, segment),
        is_test=is_test,
        resume=resume,
        dry_run=dry_run,
        progress=progress,
        on_start=mark_sending,
        on_settled=settle_departed,
    )
    if real and report.status == SendState.FINISHED:
        from varcomms.editions import set_status

        set_status(ctx, edition_id, EditionStatus.SENT)
    return report


def _settle_departed(
    ctx: Context, edition: Edition, segment: str | None, report: SendReport
) -> None:
    """Rows left ``pending`` after a full pass belong to people the audience no longer
    holds (they left between an interrupted run and its resume) or to messages the
    provider kept deferring. The first are owed nothing: mark them suppressed, so the
    send can finish instead of staying incomplete for ever. Runs under the send's lock,
    before the send run sets the final state."""
    from varcomms.audience import load_segment, still_recipients

    ledger = Ledger(ctx.store, ctx.clock)
    rows = ledger.unsent(report.send_id)
    if not rows:
        return
    name = audience_name(edition, segment)
    chosen = load_segment(ctx.config, name) if name else None
    staying = still_recipients(
        ctx.store, [sid for _, sid in rows if sid is not None], chosen, now=ctx.clock.now()
    )
    departed = [row_id for row_id, sid in rows if sid is None or sid not in staying]
    if not departed:
        return
    ledger.mark_suppressed(departed, DEPARTED)
    report.suppressed += len(departed)


__all__ = ["EmptyAudienceError", "audience_name", "check_setup", "plan_send", "send_edition"]
