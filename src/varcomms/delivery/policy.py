"""The send loop's decisions, apart from its I/O: what an outcome means for a row.

Pure functions over outcomes and counters, so every rule ("retry only what was not
accepted", "split a batch refused for one recipient", "give up after N retries") is
tested without a provider, a ledger or a clock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from varcomms.delivery.providers.base import Outcome, OutcomeStatus

BACKOFF_CAP = 60.0


class SendState(StrEnum):
    """The state of one send (a ``sends`` row); the send run is its only writer."""

    RUNNING = "running"
    # Stopped on purpose: a configuration error or a run of refused batches. Resumable.
    PAUSED = "paused"
    # Stopped by an exception or a signal. Resumable.
    INTERRUPTED = "interrupted"
    # A full pass left rows pending (the provider kept deferring them). Resumable.
    INCOMPLETE = "incomplete"
    # Everything settled except rows whose fate is unknown: the editor decides
    # (`send release`), or `--resume` reconciles them with the provider.
    HELD = "held"
    FINISHED = "finished"

    @property
    def resumable(self) -> bool:
        return self is not SendState.FINISHED


@dataclass
class Decision:
    """What to do with one batch's outcomes."""

    # Outcomes to write to the ledger as they are (RETRY and SPLIT rows go back to
    # pending, out of flight).
    record: list[Outcome] = field(default_factory=list)
    accepted: int = 0
    failed: list[Outcome] = field(default_factory=list)
    uncertain: int = 0
    # Keys to try again after a back-off, and how long the provider asked us to wait.
    retry: list[str] = field(default_factory=list)
    wait: float | None = None
    # Keys that ran out of retries in this run: pending, sent on --resume.
    deferred: list[str] = field(default_factory=list)
    # Halves of a batch refused because of one unnamed recipient: send each again.
    halves: list[list[str]] = field(default_factory=list)

    @property
    def nothing_accepted(self) -> bool:
        return not self.accepted and not self.halves


def decide(outcomes: Sequence[Outcome], attempts: dict[str, int], *, max_retries: int) -> Decision:
    """Read one batch's outcomes. ``attempts`` (key -> tries so far) is updated: a
    message refused "not now" ``max_retries`` times in a row has been sent
    ``max_retries + 1`` times and is deferred to the next run."""
    decision = Decision(record=list(outcomes))
    split = [o.key for o in outcomes if o.status is OutcomeStatus.SPLIT]
    for outcome in outcomes:
        if outcome.status is OutcomeStatus.SENT:
            decision.accepted += 1
        elif outcome.status is OutcomeStatus.FAILED:
            decision.failed.append(outcome)
        elif outcome.status is OutcomeStatus.UNCERTAIN:
            decision.uncertain += 1
        elif outcome.status is OutcomeStatus.RETRY:
            tries = attempts.get(outcome.key, 0) + 1
            attempts[outcome.key] = tries
            if tries > max_retries:
                decision.deferred.append(outcome.key)
            else:
                decision.retry.append(outcome.key)
                if outcome.retry_after is not None:
                    decision.wait = max(decision.wait or 0.0, outcome.retry_after)
    if len(split) == 1:
        # A batch of one refused as a whole: the provider's answer is about this one.
        only = next(o for o in outcomes if o.status is OutcomeStatus.SPLIT)
        failed = Outcome(only.key, OutcomeStatus.FAILED, error=only.error)
        decision.record = [failed if o is only else o for o in decision.record]
        decision.failed.append(failed)
    elif split:
        middle = len(split) // 2
        decision.halves = [split[:middle], split[middle:]]
    return decision


def backoff(attempt: int, rng: random.Random, *, asked: float | None = None) -> float:
    """Exponential back-off with equal jitter (attempt 1: 0.5–1 s, 2: 1–2 s, …, capped at
    a minute); a wait the server asked for wins when it is longer."""
    ceiling = min(BACKOFF_CAP, 2.0 ** max(0, attempt - 1))
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    return max(delay, asked) if asked is not None else delay


def final_state(states: dict[str, int], *, paused: bool) -> SendState:
    """The send's state once a run ends normally, from the ledger's counts."""
    if paused:
        return SendState.PAUSED
    if states.get("pending", 0):
        return SendState.INCOMPLETE
    if states.get("uncertain", 0):
        return SendState.HELD
    return SendState.FINISHED
