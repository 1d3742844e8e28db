"""The send loop's I/O: claim a chunk, hand batches to workers, apply each decision.

Ledger first: rows are claimed ``pending`` before anything leaves and are marked in
flight only at hand-over, after any rate-limit or back-off wait, so a row waiting for
a retry is never in flight. What an outcome means is decided in
:mod:`varcomms.delivery.policy`; this module only carries the decision out. All ledger
writes happen on the calling thread; worker threads only talk to the provider.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from varcomms.addresses import fold
from varcomms.audience import suppressed_among
from varcomms.audience.suppression import ErasureKey
from varcomms.context import Context
from varcomms.delivery.ledger import Entry, Ledger
from varcomms.delivery.personalise import (
    Personaliser,
    UnsendableAddressError,
    recipient_key,
)
from varcomms.delivery.policy import backoff, decide
from varcomms.delivery.providers import (
    Batch,
    Message,
    Outcome,
    OutcomeStatus,
    PreparedVariant,
    Provider,
)
from varcomms.delivery.report import SendReport
from varcomms.delivery.throttle import RateLimiter
from varcomms.errors import VarcommsError
from varcomms.models import DeliveryState, Recipient

Progress = Callable[[int], None]
# Rows are claimed in chunks of at least this many, whatever the provider's batch size:
# one transaction per claim, however small the provider's calls are.
CLAIM_CHUNK = 200

Item = tuple[Message, int]  # a personal message and its ledger row id


@dataclass
class InFlightBatch:
    batch: Batch
    row_ids: dict[str, int]  # key -> ledger row id


@dataclass
class SendLoop:
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
    erasure_key: ErasureKey | None
    limiter: RateLimiter | None  # None for a local provider: nothing to protect
    rng: random.Random
    progress: Progress | None
    batch_number: int
    executor: ThreadPoolExecutor
    workers: int
    outstanding: dict[Future[list[Outcome]], InFlightBatch] = field(default_factory=dict)
    retry: dict[str, list[Item]] = field(default_factory=lambda: defaultdict(list))
    retry_wait: float | None = None
    attempts: dict[str, int] = field(default_factory=dict)
    # Halves of refused batches, sent next (as they are: already within the size).
    splits: list[tuple[str, list[Item]]] = field(default_factory=list)
    failure_run: int = 0
    abort: BaseException | None = None

    @property
    def stopped(self) -> bool:
        return self.report.paused or self.abort is not None

    @property
    def max_retries(self) -> int:
        return self.ctx.config.delivery.max_retries

    # -- claiming ------------------------------------------------------------------------

    def process_chunk(self, variant_key: str, chunk: list[tuple[Recipient, str]]) -> None:
        entries: list[Entry] = []
        messages: dict[str, Message] = {}
        # The audience query already leaves suppressed people out; this check is for
        # test addresses and for anyone suppressed after the audience was read.
        emails = [fold(r.email) for r, _ in chunk]
        suppressed = suppressed_among(self.ctx.store, emails, key=self.erasure_key)
        for (recipient, key), email in zip(chunk, emails, strict=True):
            state, error = DeliveryState.PENDING, None
            if variant_key not in self.variants:
                state, error = DeliveryState.FAILED, f"no rendered variant {variant_key!r}"
            elif (hit := suppressed.get(email)) is not None:
                state, error = DeliveryState.SUPPRESSED, hit.describe()
            else:
                # One address that cannot be sent fails alone, with its reason; it never
                # stops the send for everyone else.
                try:
                    message = self.personaliser.message(recipient, key, variant_key)
                    self.check_address(message)
                    messages[key] = message
                except UnsendableAddressError as err:
                    state, error = DeliveryState.FAILED, str(err)
            message_id = None
            if self.provider.effective_capabilities.custom_message_id:
                message_id = self.personaliser.message_id(key)
            entries.append(
                Entry(key, email, variant_key, recipient.subscriber_id, message_id, state, error)
            )
        claims = self.ledger.claim(self.send_id, self.edition_id, entries)
        to_send: list[Item] = []
        for entry in entries:
            claim = claims[entry.key]
            if entry.state is DeliveryState.SUPPRESSED and claim.state is DeliveryState.SUPPRESSED:
                self.report.suppressed += 1
            elif entry.state is DeliveryState.FAILED and claim.state is DeliveryState.FAILED:
                self.report.add_failure(entry.email, entry.error or "")
            elif claim.state is DeliveryState.PENDING and not claim.in_flight:
                if entry.state is not DeliveryState.PENDING:
                    if entry.state is DeliveryState.FAILED:
                        # Claimed pending in an earlier run; the address cannot be sent.
                        self.ledger.record([(claim.row_id, None, _failed(entry.key, entry.error))])
                        self.report.add_failure(entry.email, entry.error or "")
                    continue  # a suppression verdict waits for the settling at the end
                to_send.append((messages[entry.key], claim.row_id))
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

    def check_address(self, message: Message) -> None:
        local = message.email.rpartition("@")[0]
        if not local.isascii() and not self.provider.effective_capabilities.utf8_local_part:
            raise UnsendableAddressError(
                f"{self.provider.name} cannot send to an address with non-ASCII characters "
                "before the @ (no SMTPUTF8 support)"
            )

    # -- handing over --------------------------------------------------------------------

    def submit(self, variant_key: str, items: list[Item], *, whole: bool = False) -> None:
        """Send ``items`` in batches of the provider's size (``whole``: as one batch)."""
        size = len(items) if whole else self.provider.batch_size_for(self.variants[variant_key])
        for start in range(0, len(items), max(1, size)):
            if self.stopped:
                return
            part = items[start : start + size]
            # Wait for a free worker and for the rate limit first: rows become in flight
            # only when their request is about to be written, so a crash during any
            # wait leaves them pending (safe to send), never uncertain.
            while len(self.outstanding) >= self.workers:
                self.collect(block=True)
            if self.stopped:
                return
            if self.limiter is not None:
                units = (
                    1 if self.provider.effective_capabilities.rate_unit == "requests" else len(part)
                )
                self.limiter.acquire(units)
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
            self.outstanding[future] = InFlightBatch(batch, row_ids)

    def collect(self, *, block: bool) -> None:
        if not self.outstanding:
            return
        done, _ = wait(
            list(self.outstanding), timeout=None if block else 0, return_when=FIRST_COMPLETED
        )
        for future in done:
            self.settle(future, self.outstanding.pop(future))

    def drain(self) -> None:
        while self.outstanding or (self.splits and not self.stopped):
            self.flush_splits()
            self.collect(block=True)

    def flush_splits(self) -> None:
        while self.splits and not self.stopped:
            variant_key, items = self.splits.pop(0)
            self.submit(variant_key, items, whole=True)

    def settle(self, future: Future[list[Outcome]], flight: InFlightBatch) -> None:
        batch = flight.batch
        try:
            outcomes = future.result()
        except VarcommsError as err:
            # A configuration error (key, domain, sender): nothing of this batch was
            # accepted. Stop the send; the rows stay pending for --resume.
            outcomes = [Outcome(m.key, OutcomeStatus.RETRY, error=str(err)) for m in batch.messages]
            self.abort = self.abort or err
        except Exception as err:  # a bug: whatever happened, do not risk a second copy
            outcomes = [
                Outcome(m.key, OutcomeStatus.UNCERTAIN, error=f"internal error: {err!r}")
                for m in batch.messages
            ]
            self.abort = self.abort or err
        decision = decide(outcomes, self.attempts, max_retries=self.max_retries)
        self.ledger.record((flight.row_ids[o.key], batch.number, o) for o in decision.record)
        messages = {message.key: message for message in batch.messages}
        variant = batch.variant.key
        self.report.sent += decision.accepted
        self.report.per_variant[variant] += decision.accepted
        self.report.uncertain += decision.uncertain
        for failed in decision.failed:
            self.report.add_failure(messages[failed.key].email, failed.error or "refused")
        finished = decision.accepted + decision.uncertain + len(decision.failed)
        if self.abort is not None:
            self.report.deferred += len(decision.retry) + len(decision.deferred)
            finished += len(decision.retry) + len(decision.deferred)
        else:
            self.report.deferred += len(decision.deferred)
            finished += len(decision.deferred)
            for key in decision.retry:
                self.retry[variant].append((messages[key], flight.row_ids[key]))
            if decision.wait is not None:
                self.retry_wait = max(self.retry_wait or 0.0, decision.wait)
            for half in decision.halves:
                # Not a retry: nothing was accepted, and the halves tell who was refused.
                self.splits.append((variant, [(messages[k], flight.row_ids[k]) for k in half]))
        if self.progress:
            self.progress(finished)
        self.note_batch(decision.accepted, outcomes)

    def note_batch(self, accepted: int, outcomes: list[Outcome]) -> None:
        if accepted or not outcomes:
            self.failure_run = 0
            return
        if all(o.status is OutcomeStatus.FAILED for o in outcomes) and len(outcomes) == 1:
            return  # one refused address is that address's problem, not the service's
        if all(o.status is OutcomeStatus.SPLIT for o in outcomes):
            return
        self.failure_run += 1
        limit = self.ctx.config.delivery.pause_after_failures
        if self.failure_run >= limit and not self.report.paused:
            reason = outcomes[0].error or "no reason given"
            self.report.paused = True
            self.report.pause_reason = (
                f"{self.failure_run} batches in a row were not accepted; last: {reason}"
            )

    def flush_retries(self, *, final: bool) -> None:
        """Send again what the provider did not accept, after one back-off per round."""
        while any(self.retry.values()) and not self.stopped:
            pending = {key: items for key, items in self.retry.items() if items}
            attempt = max(
                self.attempts.get(m.key, 1) for items in pending.values() for m, _ in items
            )
            self.ctx.clock.sleep(backoff(attempt, self.rng, asked=self.retry_wait))
            self.retry.clear()
            self.retry_wait = None
            for variant_key, items in pending.items():
                self.submit(variant_key, items)
            if not final:
                return
            self.drain()


def _failed(key: str, reason: str | None) -> Outcome:
    return Outcome(key, OutcomeStatus.FAILED, error=reason)


def run_loop(
    loop: SendLoop, recipients: Iterable[Recipient], *, scoped_send_id: str | None
) -> None:
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
        limit = max(CLAIM_CHUNK, loop.provider.batch_size_for(variant)) if variant else 1
        if len(buffer) >= limit:
            loop.process_chunk(recipient.variant, buffer)
            seen_in_buffers.difference_update(k for _, k in buffer)
            buffers[recipient.variant] = []
            loop.collect(block=False)
            loop.flush_splits()
            if any(loop.retry.values()):
                loop.flush_retries(final=False)
    for variant_key, buffer in buffers.items():
        if buffer and not loop.stopped:
            loop.process_chunk(variant_key, buffer)
    loop.drain()
    loop.flush_retries(final=True)
    loop.drain()
