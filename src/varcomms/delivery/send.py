"""The send loop: ledger first, then the provider, then the ledger again.

For every chunk of recipients of one variant: claim their ledger rows (``pending``),
skip whoever was already dealt with, mark the rest in flight, hand them to the
provider, and record each outcome. Retries, the rate limit, concurrency and the pause
after a run of failures live here; providers only say what happened to a batch.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from varcomms.context import Context
from varcomms.delivery.ledger import Entry, Ledger
from varcomms.delivery.mime import MimeTemplate
from varcomms.delivery.personalise import ONE_CLICK, Personaliser, normalise_address, recipient_key
from varcomms.delivery.providers import (
    Batch,
    Message,
    Outcome,
    OutcomeStatus,
    PreparedVariant,
    Provider,
    Requirements,
    make_provider,
)
from varcomms.delivery.providers.outbox import OutboxProvider
from varcomms.delivery.report import SendReport
from varcomms.delivery.suppression import Suppressions
from varcomms.delivery.throttle import RateLimiter
from varcomms.errors import StateError, VarcommsError
from varcomms.models import DeliveryState, Recipient, RenderedEmail
from varcomms.tokens import TokenSigner

log = logging.getLogger(__name__)

TEST_SUBJECT_PREFIX = "[TEST] "
Progress = Callable[[int], None]


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


@dataclass
class _InFlightBatch:
    batch: Batch
    row_ids: dict[str, int]  # key -> ledger row id


@dataclass
class _Loop:
    """State of one run of the send loop."""

    ctx: Context
    provider: Provider
    ledger: Ledger
    report: SendReport
    send_id: str
    edition_id: str
    is_test: bool
    variants: dict[str, PreparedVariant]
    personaliser: Personaliser
    suppressions: Suppressions
    limiter: RateLimiter
    rng: random.Random
    progress: Progress | None
    batch_number: int
    executor: ThreadPoolExecutor
    outstanding: dict[Future[list[Outcome]], _InFlightBatch] = field(default_factory=dict)
    retry: dict[str, list[tuple[Message, int]]] = field(default_factory=lambda: defaultdict(list))
    attempts: dict[str, int] = field(default_factory=dict)
    failure_run: int = 0
    abort: BaseException | None = None

    @property
    def stopped(self) -> bool:
        return self.report.paused or self.abort is not None

    # -- claiming ------------------------------------------------------------------------

    def process_chunk(self, variant_key: str, chunk: list[tuple[Recipient, str]]) -> None:
        entries: list[Entry] = []
        for recipient, key in chunk:
            email = normalise_address(recipient.email)
            state, error = DeliveryState.PENDING, None
            if "@" not in email or " " in email:
                state, error = DeliveryState.FAILED, f"not an email address: {recipient.email!r}"
            elif variant_key not in self.variants:
                state, error = DeliveryState.FAILED, f"no rendered variant {variant_key!r}"
            elif (reason := self.suppressions.reason(email)) is not None:
                state, error = DeliveryState.SUPPRESSED, reason
            message_id = None
            if self.provider.effective_capabilities.custom_message_id:
                message_id = self.personaliser.message_id(key)
            entries.append(
                Entry(key, email, variant_key, recipient.subscriber_id, message_id, state, error)
            )
        claims = self.ledger.claim(self.send_id, self.edition_id, entries)
        to_send: list[tuple[Message, int]] = []
        for (recipient, key), entry in zip(chunk, entries, strict=True):
            claim = claims[key]
            if entry.state is DeliveryState.SUPPRESSED and claim.state is DeliveryState.SUPPRESSED:
                self.report.suppressed += 1
            elif entry.state is DeliveryState.FAILED and claim.state is DeliveryState.FAILED:
                self.report.add_failure(entry.email, entry.error or "")
            elif claim.state is DeliveryState.PENDING and not claim.in_flight:
                if entry.state is not DeliveryState.PENDING:
                    continue  # claimed earlier as pending; the new verdict waits for resume
                to_send.append(
                    (self.personaliser.message(recipient, key, variant_key), claim.row_id)
                )
            elif claim.state is DeliveryState.UNCERTAIN:
                self.report.uncertain += 1
            elif claim.state is DeliveryState.PENDING:
                self.report.duplicates += 1
            else:
                self.report.already_done += 1
        if self.progress:
            self.progress(len(chunk) - len(to_send))
        if to_send:
            self.submit(variant_key, to_send)

    # -- handing over --------------------------------------------------------------------

    def submit(self, variant_key: str, items: list[tuple[Message, int]]) -> None:
        size = self.provider.batch_size_for(self.variants[variant_key])
        for start in range(0, len(items), size):
            if self.stopped:
                return
            part = items[start : start + size]
            # Wait for a free worker first: rows are marked in flight only at hand-over,
            # so a crash leaves as few of them uncertain as possible.
            while len(self.outstanding) >= self.executor._max_workers:
                self.collect(block=True)
            if self.stopped:
                return
            self.limiter.acquire(len(part))
            number = self.batch_number
            self.batch_number += 1
            self.ledger.start_batch([row_id for _, row_id in part], number)
            batch = Batch(
                number=number,
                send_id=self.send_id,
                edition_id=self.edition_id,
                variant=self.variants[variant_key],
                messages=[message for message, _ in part],
                is_test=self.is_test,
            )
            row_ids = {message.key: row_id for message, row_id in part}
            future = self.executor.submit(self.provider.send, batch)
            self.outstanding[future] = _InFlightBatch(batch, row_ids)

    def collect(self, *, block: bool) -> None:
        if not self.outstanding:
            return
        done, _ = wait(
            list(self.outstanding), timeout=None if block else 0, return_when=FIRST_COMPLETED
        )
        for future in done:
            self.settle(future, self.outstanding.pop(future))

    def drain(self) -> None:
        while self.outstanding:
            self.collect(block=True)

    def settle(self, future: Future[list[Outcome]], flight: _InFlightBatch) -> None:
        batch = flight.batch
        try:
            outcomes = future.result()
        except VarcommsError as err:
            # The provider refused the whole send (bad key, sender refused): nothing left.
            outcomes = [Outcome(m.key, OutcomeStatus.RETRY, error=str(err)) for m in batch.messages]
            self.abort = self.abort or err
        except Exception as err:  # a bug: whatever happened, do not risk a second copy
            outcomes = [
                Outcome(m.key, OutcomeStatus.UNCERTAIN, error=f"internal error: {err!r}")
                for m in batch.messages
            ]
            self.abort = self.abort or err
        self.ledger.record((flight.row_ids[o.key], batch.number, o) for o in outcomes)
        messages = {message.key: message for message in batch.messages}
        accepted = 0
        finished = 0
        for outcome in outcomes:
            message = messages[outcome.key]
            if outcome.status is OutcomeStatus.SENT:
                accepted += 1
                self.report.sent += 1
                self.report.per_variant[batch.variant.key] += 1
            elif outcome.status is OutcomeStatus.FAILED:
                self.report.add_failure(message.email, outcome.error or "refused")
            elif outcome.status is OutcomeStatus.UNCERTAIN:
                self.report.uncertain += 1
            else:
                tries = self.attempts.get(message.key, 0) + 1
                self.attempts[message.key] = tries
                if tries > self.ctx.config.delivery.max_retries or self.abort is not None:
                    self.report.deferred += 1
                else:
                    self.retry[batch.variant.key].append((message, flight.row_ids[message.key]))
                    continue
            finished += 1
        if self.progress:
            self.progress(finished)
        self.note_batch(accepted, outcomes)

    def note_batch(self, accepted: int, outcomes: list[Outcome]) -> None:
        if accepted or not outcomes:
            self.failure_run = 0
            return
        if all(o.status is OutcomeStatus.FAILED for o in outcomes) and len(outcomes) == 1:
            return  # one refused address is that address's problem, not the service's
        self.failure_run += 1
        limit = self.ctx.config.delivery.pause_after_failures
        if self.failure_run >= limit and not self.report.paused:
            reason = outcomes[0].error or "no reason given"
            self.report.paused = True
            self.report.pause_reason = (
                f"{self.failure_run} batches in a row were not accepted; last: {reason}"
            )

    def flush_retries(self, *, final: bool) -> None:
        """Send messages the provider asked to retry, after a backoff."""
        round_number = 0
        while any(self.retry.values()) and not self.stopped:
            round_number += 1
            delay = min(60.0, 2.0**round_number) * (0.5 + self.rng.random() / 2)
            self.ctx.clock.sleep(delay)
            pending = {key: items for key, items in self.retry.items() if items}
            self.retry.clear()
            for variant_key, items in pending.items():
                self.submit(variant_key, items)
            if not final:
                return
            self.drain()


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
) -> SendReport:
    """Send one edition's rendered variants to ``recipients``, exactly once each.

    ``recipients`` is consumed once, lazily; each names its variant. A real send records
    one ledger row per person for the edition; ``resume`` continues the edition's last
    send after a crash or pause. Test sends and dry runs keep their own rows.
    """
    rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
    ledger = Ledger(ctx.store, ctx.clock)
    send_id = new_send_id(edition_id, ctx)
    scoped = is_test or dry_run
    resumed = False
    if not scoped:
        previous = ledger.latest_send(edition_id)
        if previous is not None:
            if not resume:
                raise StateError(
                    f"edition {edition_id!r} was already sent "
                    f"(send {previous.id}, {previous.status})",
                    hint=f"see `varcomms send status {edition_id}`; continue an unfinished send "
                    "with --resume",
                )
            send_id, resumed = previous.id, True
    if provider is None:
        if dry_run:
            directory = (
                ctx.config.resolve(ctx.config.provider.outbox.directory) / f"dry-run-{send_id}"
            )
            provider = OutboxProvider(ctx, rng=rng, directory=directory)
        else:
            provider = make_provider(ctx, rng=rng)
    # Everything that can be wrong with the setup fails here, before any message.
    provider.check(Requirements())
    signer = TokenSigner.from_secrets(ctx.secrets)
    provider.open()
    report = SendReport(
        send_id=send_id,
        edition_id=edition_id,
        provider=provider.name,
        is_test=is_test,
        dry_run=dry_run,
        resumed=resumed,
    )
    if isinstance(provider, OutboxProvider):
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
        loop = _Loop(
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
            suppressions=Suppressions.load(ctx.store),
            limiter=RateLimiter(ctx.config.delivery.rate_per_second, ctx.clock),
            rng=rng,
            progress=progress,
            batch_number=ledger.next_batch_number(send_id),
            executor=ThreadPoolExecutor(
                max_workers=max(1, min(provider.max_concurrency, ctx.config.delivery.concurrency)),
                thread_name_prefix="varcomms-send",
            ),
        )
        try:
            _run(loop, recipients, scoped_send_id=send_id if scoped else None)
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
    return report


def _run(loop: _Loop, recipients: Iterable[Recipient], *, scoped_send_id: str | None) -> None:
    buffers: dict[str, list[tuple[Recipient, str]]] = defaultdict(list)
    seen_in_buffers: set[str] = set()
    for recipient in recipients:
        if loop.stopped:
            break
        key = recipient_key(recipient.email, test_send_id=scoped_send_id)
        if key in seen_in_buffers:
            loop.report.duplicates += 1
            continue
        seen_in_buffers.add(key)
        buffer = buffers[recipient.variant]
        buffer.append((recipient, key))
        variant = loop.variants.get(recipient.variant)
        limit = loop.provider.batch_size_for(variant) if variant else 1
        if len(buffer) >= limit:
            loop.process_chunk(recipient.variant, buffer)
            seen_in_buffers.difference_update(k for _, k in buffer)
            buffers[recipient.variant] = []
            loop.collect(block=False)
            if any(loop.retry.values()):
                loop.flush_retries(final=False)
    for variant_key, buffer in buffers.items():
        if buffer and not loop.stopped:
            loop.process_chunk(variant_key, buffer)
    loop.drain()
    loop.flush_retries(final=True)
    loop.drain()


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
