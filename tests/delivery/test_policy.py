"""The send loop's decisions, without a provider, a ledger or a clock."""

from __future__ import annotations

import random

from varcomms.delivery.policy import SendState, backoff, decide, final_state
from varcomms.delivery.providers import Outcome, OutcomeStatus

S = OutcomeStatus


def outcomes(status: OutcomeStatus, *keys: str, **extra: object) -> list[Outcome]:
    return [Outcome(k, status, error="why", **extra) for k in keys]  # type: ignore[arg-type]


def test_a_message_refused_not_now_is_sent_exactly_max_retries_plus_one_times() -> None:
    attempts: dict[str, int] = {}
    sends = 0
    while True:
        sends += 1
        decision = decide(outcomes(S.RETRY, "a"), attempts, max_retries=3)
        if not decision.retry:
            break
    assert sends == 4 and decision.deferred == ["a"]


def test_retry_carries_the_longest_wait_the_provider_asked_for() -> None:
    mixed = [
        Outcome("a", S.RETRY, retry_after=3.0),
        Outcome("b", S.RETRY, retry_after=9.0),
        Outcome("c", S.RETRY),
    ]
    decision = decide(mixed, {}, max_retries=5)
    assert decision.retry == ["a", "b", "c"] and decision.wait == 9.0


def test_a_batch_refused_for_one_unnamed_recipient_is_split_in_halves() -> None:
    decision = decide(outcomes(S.SPLIT, *"abcde"), {}, max_retries=0)
    assert decision.halves == [["a", "b"], ["c", "d", "e"]]
    assert not decision.failed and not decision.retry and not decision.deferred


def test_a_split_refusal_of_one_message_fails_that_message_alone() -> None:
    decision = decide(outcomes(S.SPLIT, "a"), {}, max_retries=5)
    assert [o.status for o in decision.record] == [S.FAILED]
    assert decision.failed[0].error == "why" and not decision.halves


def test_splitting_is_not_a_retry_attempt() -> None:
    attempts: dict[str, int] = {}
    decide(outcomes(S.SPLIT, "a", "b"), attempts, max_retries=0)
    assert attempts == {}


def test_uncertain_and_sent_are_never_retried() -> None:
    decision = decide(outcomes(S.SENT, "a") + outcomes(S.UNCERTAIN, "b"), {}, max_retries=5)
    assert (decision.accepted, decision.uncertain, decision.retry) == (1, 1, [])


def test_backoff_grows_with_equal_jitter_and_honours_the_server() -> None:
    rng = random.Random(1)
    assert 0.5 <= backoff(1, rng) <= 1.0
    assert 1.0 <= backoff(2, rng) <= 2.0
    assert 30.0 <= backoff(50, rng) <= 60.0
    assert backoff(1, rng, asked=7.0) == 7.0


def test_final_state_keeps_held_rows_open() -> None:
    assert final_state({"sent": 3}, paused=False) is SendState.FINISHED
    assert final_state({"sent": 3, "uncertain": 1}, paused=False) is SendState.HELD
    assert final_state({"pending": 1, "uncertain": 1}, paused=False) is SendState.INCOMPLETE
    assert final_state({"sent": 3}, paused=True) is SendState.PAUSED
    assert SendState.HELD.resumable and not SendState.FINISHED.resumable
