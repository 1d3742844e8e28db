"""deliver(): set a send up, run the send loop, close it down.

Set-up is where everything that can be wrong is found before any message leaves: the
provider and its keys, what it can do, the signing key, reachability, a previous send of
the same edition. On ``--resume`` the rows that were in flight are settled first (see
:func:`_settle_in_flight`). The loop itself lives in :mod:`varcomms.delivery.loop`.
"""

from __future__ import annotations

import logging
import random
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from varcomms.audience import erasure_key
from varcomms.context import Context
from varcomms.delivery.ledger import Ledger
from varcomms.delivery.lock import send_lock
from varcomms.delivery.loop import Progress, SendLoop, run_loop
from varcomms.delivery.mime import MimeTemplate
from varcomms.delivery.personalise import ONE_CLICK, Personaliser
from varcomms.delivery.providers import (
    Outcome,
    OutcomeStatus,
    PreparedVariant,
    Provider,
    Requirements,
    make_provider,
)
from varcomms.delivery.providers.outbox import OutboxProvider
from varcomms.delivery.report import SendReport
from varcomms.delivery.throttle import RateLimiter
from varcomms.errors import StateError
from varcomms.models import DeliveryState, Recipient, RenderedEmail
from varcomms.tokens import TokenSigner

log = logging.getLogger(__name__)

TEST_SUBJECT_PREFIX = "[TEST] "


def new_send_id(edition_id: str, ctx: Context) -> str:
    stamp = ctx.clock.now().strftime("%Y%m%dT%H%M%S")
    return f"{edition_id[:20]}-{stamp}-{secrets.token_hex(3)}"


def prepare_variant(
    ctx: Context, rendered: RenderedEmail, *, send_id: str, is_test: bool
) -> PreparedVariant:
    sender = ctx.config.sender
    subject = (TEST_SUBJECT_PREFIX if is_test else "") + rendered.subject
    domain = sender.message_id_domain
    headers = [
        ("List-Id", f"Nieuwsbrief {ctx.config.brands['var'].name} <nieuwsbrief.{domain}>"),
        ("List-Unsubscribe-Post", ONE_CLICK),
        ("X-Varcomms-Send", send_id),
    ]
    variant = PreparedVariant(
        key=rendered.variant,
        subject=subject,
        html=rendered.html,
        text=rendered.text,
        from_name=sender.from_name,
        from_address=sender.from_address,
        reply_to=sender.reply_to,
        headers=headers,
        mime=None,  # type: ignore[arg-type]  # set just below
    )
    variant.mime = MimeTemplate(
        subject=subject,
        from_header=variant.from_header,
        html_body=rendered.html,
        text_body=rendered.text,
        date=ctx.clock.now(),
        reply_to=sender.reply_to,
        extra_headers=headers,
    )
    return variant


def deliver(
    ctx: Context,
    *,
    edition_id: str,
    variants: Mapping[str, RenderedEmail],
    recipients: Iterable[Recipient],
    segment: str | None = None,
    is_test: bool = False,
    resume: bool = False,
    dry_run: bool = False,
    provider: Provider | None = None,
    progress: Progress | None = None,
    rng: random.Random | None = None,
    on_start: Callable[[], None] | None = None,
) -> SendReport:
    """Send one edition's rendered variants to ``recipients``, exactly once each.

    ``recipients`` is consumed once, lazily; each names its variant. A real send records
    one ledger row per person for the edition; ``resume`` continues the edition's last
    send after a crash or pause. Test sends and dry runs keep their own rows.
    ``on_start`` runs once every check has passed, before the first message leaves.
    """
    # A real send holds the edition's lock from the check for an earlier send to the end.
    lock: AbstractContextManager[None] = (
        nullcontext() if is_test or dry_run else send_lock(ctx.store, edition_id)
    )
    with lock:
        return _deliver(
            ctx,
            edition_id=edition_id,
            variants=variants,
            recipients=recipients,
            segment=segment,
            is_test=is_test,
            resume=resume,
            dry_run=dry_run,
            provider=provider,
            progress=progress,
            rng=rng,
            on_start=on_start,
        )


def _deliver(
    ctx: Context,
    *,
    edition_id: str,
    variants: Mapping[str, RenderedEmail],
    recipients: Iterable[Recipient],
    segment: str | None,
    is_test: bool,
    resume: bool,
    dry_run: bool,
    provider: Provider | None,
    progress: Progress | None,
    rng: random.Random | None,
    on_start: Callable[[], None] | None,
) -> SendReport:
    rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
    ledger = Ledger(ctx.store, ctx.clock)
    send_id = new_send_id(edition_id, ctx)
    scoped = is_test or dry_run
    resumed = False
    if not scoped:
        previous = ledger.latest_send(edition_id)
        if previous is not None:
            if not resume and previous.status == "finished":
                raise StateError(
                    f"edition {edition_id!r} was already sent (send {previous.id}); "
                    "nothing was sent again",
                    hint=f"`varcomms send status {edition_id}` shows who got it",
                )
            if not resume:
                raise StateError(
                    f"edition {edition_id!r} has an unfinished send "
                    f"({previous.id}, {previous.status}); nothing was sent",
                    hint=f"continue it with `varcomms send {edition_id} --resume`; "
                    f"`varcomms send status {edition_id}` shows how far it got",
                )
            send_id, resumed = previous.id, True
    discard: Path | None = None
    if provider is None:
        if dry_run:
            # Every message is built and written as a send would, then thrown away: kept
            # per-recipient files would be copies of personal data nobody asked for.
            base = ctx.config.resolve(ctx.config.provider.outbox.directory)
            base.mkdir(parents=True, exist_ok=True)
            discard = Path(tempfile.mkdtemp(prefix=f".dry-run-{send_id}-", dir=base))
            provider = OutboxProvider(ctx, rng=rng, directory=discard)
        else:
            provider = make_provider(ctx, rng=rng)
    # Everything that can be wrong with the setup fails here, before any message.
    provider.check(Requirements())
    signer = TokenSigner.from_secrets(ctx.secrets)
    key = erasure_key(ctx)  # refuses while erased people could not be recognised
    provider.open()
    if on_start is not None:
        try:
            on_start()
        except BaseException:
            provider.close()
            raise
    report = SendReport(
        send_id=send_id,
        edition_id=edition_id,
        provider=provider.name,
        is_test=is_test,
        dry_run=dry_run,
        resumed=resumed,
    )
    if isinstance(provider, OutboxProvider) and discard is None:
        report.outbox = provider.folder(edition_id)
    try:
        if not resumed:
            ledger.create_send(
                send_id,
                edition_id=edition_id,
                segment=segment,
                provider=provider.name,
                is_test=scoped,
                note="dry run" if dry_run else None,
            )
        else:
            ledger.set_send_status(send_id, "running")
            _settle_in_flight(ctx, ledger, provider, send_id, report)
        workers = max(1, min(provider.max_concurrency, ctx.config.delivery.concurrency))
        loop = SendLoop(
            ctx=ctx,
            provider=provider,
            ledger=ledger,
            report=report,
            send_id=send_id,
            edition_id=edition_id,
            is_test=is_test,
            variants={
                key: prepare_variant(ctx, rendered, send_id=send_id, is_test=is_test)
                for key, rendered in variants.items()
            },
            personaliser=Personaliser(ctx.config, signer, edition_id),
            erasure_key=key,
            limiter=(
                RateLimiter(ctx.config.delivery.rate_per_second, ctx.clock)
                if provider.effective_capabilities.remote
                else None
            ),
            rng=rng,
            progress=progress,
            batch_number=ledger.next_batch_number(send_id),
            executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="varcomms-send"),
            workers=workers,
        )
        try:
            run_loop(loop, recipients, scoped_send_id=send_id if scoped else None)
        except BaseException:
            loop.drain()
            ledger.set_send_status(send_id, "interrupted")
            report.status = "interrupted"
            raise
        finally:
            loop.executor.shutdown(wait=True)
        if loop.abort is not None:
            ledger.set_send_status(send_id, "paused", note=f"stopped: {loop.abort}")
            report.status = "paused"
            raise loop.abort
        if report.paused:
            ledger.set_send_status(send_id, "paused", note=report.pause_reason)
            report.status = "paused"
        else:
            states = ledger.count_states(send_id)
            left = states.get(DeliveryState.PENDING.value, 0)
            report.status = "incomplete" if left else "finished"
            ledger.set_send_status(send_id, report.status)
    finally:
        provider.close()
        if discard is not None:
            shutil.rmtree(discard, ignore_errors=True)
    return report


def _settle_in_flight(
    ctx: Context, ledger: Ledger, provider: Provider, send_id: str, report: SendReport
) -> None:
    """After a crash: ask the provider about rows that were in flight, else apply the policy."""
    rows = ledger.in_flight(send_id)
    policy = ctx.config.delivery.uncertain_policy
    if rows:
        answers = provider.reconcile([row for _, row in rows])
        results = []
        for row_id, row in rows:
            outcome = (answers or {}).get(row.key)
            if outcome is None:
                outcome = Outcome(
                    row.key, OutcomeStatus.UNCERTAIN, error="in flight when the send stopped"
                )
            elif outcome.status is OutcomeStatus.SENT:
                report.reconciled += 1
            results.append((row_id, row.batch, outcome))
        ledger.record(results)
    if policy == "resend":
        released = ledger.release_uncertain(send_id)
        if released:
            log.warning("re-sending %d message(s) whose fate was uncertain", released)
