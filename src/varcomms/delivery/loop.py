"""The send loop: claim a chunk, hand batches to workers, settle outcomes, retry, pause.

Ledger first: rows are claimed ``pending`` before anything leaves, marked in flight at
hand-over, and settled from each outcome. All ledger writes happen on the calling
thread; worker threads only talk to the provider.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from varcomms.audience import suppressed_among
from varcomms.audience.suppression import ErasureKey
from varcomms.context import Context
from varcomms.delivery.ledger import Entry, Ledger
from varcomms.delivery.personalise import Personaliser, normalise_address, recipient_key
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
        # The audience query already leaves suppressed people out; this check is for
        # test addresses and for anyone suppressed after the audience was read.
        suppressed = suppressed_among(
            self.ctx.store,
            (normalise_address(r.email) for r, _ in chunk),
            key=self.erasure_key,
        )
        for recipient, key in chunk:
            email = normalise_address(recipient.email)
            state, error = DeliveryState.PENDING, None
            if "@" not in email or " " in email:
                state, error = DeliveryState.FAILED, f"not an email address: {recipient.email!r}"
            elif variant_key not in self.variants:
                state, error = DeliveryState.FAILED, f"no rendered variant {variant_key!r}"
            elif (hit := suppressed.get(email)) is not None:
                state, error = DeliveryState.SUPPRESSED, hit.describe()
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
            if self.limiter is not None:
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
        while self.outstanding:
            self.collect(block=True)

    def settle(self, future: Future[list[Outcome]], flight: InFlightBatch) -> None:
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
