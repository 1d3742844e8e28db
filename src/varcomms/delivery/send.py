"""One owner for a send: :class:`SendRun` (and :func:`deliver`, its entry point).

A run takes the edition's lock once, runs the set-up checks (provider, keys, what it
can do, the signing key, reachability, a previous send of the same edition), moves the
edition to sending (``on_start``), settles rows left in flight by an earlier run with
the provider, runs the loop (:mod:`varcomms.delivery.loop`, whose decisions live in
:mod:`varcomms.delivery.policy`), and sets the send's final :class:`SendState`. It is
the only writer of a send's state.
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
from varcomms.delivery.policy import SendState, final_state
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
from varcomms.models import Recipient, RenderedEmail
from varcomms.tokens import TokenSigner

log = logging.getLogger(__name__)

TEST_SUBJECT_PREFIX = "[TEST] "
PROVEN = (OutcomeStatus.SENT, OutcomeStatus.RETRY)


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
        # Bulk mail says so (Google's bulk-sender guidance; RFC 3834 auto-responders
        # stay silent), so out-of-office replies do not flood Reply-To.
        ("Precedence", "bulk"),
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
    on_settled: Callable[[SendReport], None] | None = None,
) -> SendReport:
    """Send one edition's rendered variants to ``recipients``, exactly once each.

    ``recipients`` is consumed once, lazily; each names its variant. A real send records
    one ledger row per person for the edition; ``resume`` continues the edition's last
    send after a crash or pause. Test sends and dry runs keep their own rows.
    ``on_start`` runs once every check has passed, before the first message leaves;
    ``on_settled`` runs under the lock after the loop, before the final state is set
    (the edition glue settles people who left the audience there).
    """
    run = SendRun(
        ctx,
        edition_id=edition_id,
        is_test=is_test,
        dry_run=dry_run,
        provider=provider,
        rng=rng or random.Random(),  # noqa: S311 - jitter, not secrets
    )
    return run.execute(
        variants=variants,
        recipients=recipients,
        segment=segment,
        resume=resume,
        progress=progress,
        on_start=on_start,
        on_settled=on_settled,
    )


class SendRun:
    """One run of one send, from the lock to the final state."""

    def __init__(
        self,
        ctx: Context,
        *,
        edition_id: str,
        is_test: bool,
        dry_run: bool,
        provider: Provider | None,
        rng: random.Random,
    ) -> None:
        self.ctx = ctx
        self.edition_id = edition_id
        self.is_test = is_test
        self.dry_run = dry_run
        self.scoped = is_test or dry_run
        self.provider = provider
        self.rng = rng
        self.ledger = Ledger(ctx.store, ctx.clock)
        self.discard: Path | None = None  # a dry run's messages, removed at the end

    def lock(self) -> AbstractContextManager[None]:
        # A real send holds the edition's lock from the check for an earlier send to the end.
        return nullcontext() if self.scoped else send_lock(self.ctx.store, self.edition_id)

    def execute(
        self,
        *,
        variants: Mapping[str, RenderedEmail],
        recipients: Iterable[Recipient],
        segment: str | None,
        resume: bool,
        progress: Progress | None,
        on_start: Callable[[], None] | None,
        on_settled: Callable[[SendReport], None] | None,
    ) -> SendReport:
        with self.lock():
            send_id, resumed = self.previous_send(resume=resume)
            provider = self.open_provider(send_id)
            try:
                if on_start is not None:
                    on_start()
                report = SendReport(
                    send_id=send_id,
                    edition_id=self.edition_id,
                    provider=provider.name,
                    is_test=self.is_test,
                    dry_run=self.dry_run,
                    resumed=resumed,
                )
                if isinstance(provider, OutboxProvider) and self.discard is None:
                    report.outbox = provider.folder(self.edition_id)
                if resumed:
                    self.set_state(send_id, SendState.RUNNING)
                    self.settle_in_flight(provider, send_id, report)
                else:
                    self.ledger.create_send(
                        send_id,
                        edition_id=self.edition_id,
                        segment=segment,
                        provider=provider.name,
                        is_test=self.scoped,
                        note="dry run" if self.dry_run else None,
                    )
                loop = self.make_loop(provider, send_id, report, variants, progress)
                try:
                    run_loop(loop, recipients, scoped_send_id=send_id if self.scoped else None)
                except BaseException:
                    loop.drain()
                    self.finish(report, SendState.INTERRUPTED)
                    raise
                finally:
                    loop.executor.shutdown(wait=True)
                if loop.abort is not None:
                    report.paused = True
                    report.pause_reason = str(loop.abort)
                    self.finish(report, SendState.PAUSED, note=f"stopped: {loop.abort}")
                    # The caller still gets the counts (the CLI prints them, --json too).
                    loop.abort.report = report  # type: ignore[attr-defined]
                    raise loop.abort
                if on_settled is not None and not report.paused:
                    on_settled(report)
                states = self.ledger.count_states(send_id)
                self.finish(report, final_state(states, paused=report.paused))
            finally:
                provider.close()
                if self.discard is not None:
                    shutil.rmtree(self.discard, ignore_errors=True)
        return report

    def previous_send(self, *, resume: bool) -> tuple[str, bool]:
        """The send id to use: a new one, or (``resume``) the edition's unfinished send."""
        send_id = new_send_id(self.edition_id, self.ctx)
        if self.scoped:
            return send_id, False
        previous = self.ledger.latest_send(self.edition_id)
        if previous is None:
            return send_id, False
        state = SendState(previous.status)
        if state is SendState.FINISHED and not resume:
            if self.ledger.count_states(previous.id):
                raise StateError(
                    f"edition {self.edition_id!r} was already sent (send {previous.id}); "
                    "nothing was sent again",
                    hint=f"`varcomms send status {self.edition_id}` shows who got it",
                )
            return send_id, False  # a send that reached nobody: start afresh
        if not resume:
            raise StateError(
                f"edition {self.edition_id!r} has an unfinished send "
                f"({previous.id}, {state}); nothing was sent",
                hint=f"continue it with `varcomms send {self.edition_id} --resume`; "
                f"`varcomms send status {self.edition_id}` shows how far it got",
            )
        return previous.id, True

    def open_provider(self, send_id: str) -> Provider:
        """Everything that can be wrong with the set-up fails here, before any message."""
        provider = self.provider
        if provider is None:
            if self.dry_run:
                # Every message is built and written as a send would, then thrown away:
                # kept per-recipient files would be copies of personal data nobody asked for.
                base = self.ctx.config.resolve(self.ctx.config.provider.outbox.directory)
                base.mkdir(parents=True, exist_ok=True)
                self.discard = Path(tempfile.mkdtemp(prefix=f".dry-run-{send_id}-", dir=base))
                provider = OutboxProvider(self.ctx, rng=self.rng, directory=self.discard)
            else:
                provider = make_provider(self.ctx, rng=self.rng)
        provider.check(Requirements())
        self.signer = TokenSigner.from_secrets(self.ctx.secrets)
        self.erasure = erasure_key(self.ctx)  # refuses while erased people could not be recognised
        provider.open()
        self.provider = provider
        return provider

    def make_loop(
        self,
        provider: Provider,
        send_id: str,
        report: SendReport,
        variants: Mapping[str, RenderedEmail],
        progress: Progress | None,
    ) -> SendLoop:
        ctx = self.ctx
        workers = max(1, min(provider.max_concurrency, ctx.config.delivery.concurrency))
        return SendLoop(
            ctx=ctx,
            provider=provider,
            ledger=self.ledger,
            report=report,
            send_id=send_id,
            edition_id=self.edition_id,
            is_test=self.is_test,
            variants={
                key: prepare_variant(ctx, rendered, send_id=send_id, is_test=self.is_test)
                for key, rendered in variants.items()
            },
            personaliser=Personaliser(ctx.config, self.signer, self.edition_id),
            erasure_key=self.erasure,
            limiter=rate_limiter(ctx, provider),
            rng=self.rng,
            progress=progress,
            batch_number=self.ledger.next_batch_number(send_id),
            executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="varcomms-send"),
            workers=workers,
        )

    def set_state(self, send_id: str, state: SendState, *, note: str | None = None) -> None:
        self.ledger.set_send_status(send_id, state.value, note=note)

    def finish(self, report: SendReport, state: SendState, *, note: str | None = None) -> None:
        report.status = state.value
        if state is SendState.PAUSED:
            note = note or report.pause_reason
        self.set_state(report.send_id, state, note=note)

    def settle_in_flight(self, provider: Provider, send_id: str, report: SendReport) -> None:
        """Before anything new: ask the provider about rows left in flight or held, and
        apply the policy to what it cannot tell."""
        rows = self.ledger.in_flight(send_id)
        held = self.ledger.uncertain_rows(send_id)
        if rows or held:
            answers = provider.reconcile([row for _, row in rows + held]) or {}
            results = []
            for row_id, row in rows:
                outcome = answers.get(row.key)
                if outcome is None:
                    outcome = Outcome(
                        row.key, OutcomeStatus.UNCERTAIN, error="in flight when the send stopped"
                    )
                elif outcome.status is OutcomeStatus.SENT:
                    report.reconciled += 1
                results.append((row_id, row.batch, outcome))
            for row_id, row in held:
                # A held row changes only on the provider's word: accepted (sent), or
                # provably not accepted (retry); "cannot tell" leaves it held.
                outcome = answers.get(row.key)
                if outcome is None or outcome.status not in PROVEN:
                    continue
                if outcome.status is OutcomeStatus.SENT:
                    report.reconciled += 1
                results.append((row_id, row.batch, outcome))
            self.ledger.record(results)
        if self.ctx.config.delivery.uncertain_policy == "resend":
            released = self.ledger.release_uncertain(send_id)
            if released:
                log.warning("re-sending %d message(s) whose fate was uncertain", released)


def rate_limiter(ctx: Context, provider: Provider) -> RateLimiter | None:
    """The limit in the provider's own unit (requests for a batch API, messages for
    SMTP): the configured rate, else the provider's documented default."""
    if not provider.effective_capabilities.remote:
        return None  # a local provider has nobody to protect
    rate = ctx.config.delivery.rate_per_second or provider.default_rate
    return RateLimiter(rate, ctx.clock) if rate else None
