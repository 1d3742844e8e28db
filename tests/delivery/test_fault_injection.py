"""Kill and resume a send against a misbehaving Mailgun fake on loopback (issue 12).

Faults: 429s, TCP resets before and after acceptance, 500s after acceptance, one bad
address; the sending process is SIGKILLed at random points and resumed. Each resume
runs an hour (of the worker's injected clock) after the last, so the provider's events
log, which may lag, has settled (see ``mailgun.LOG_SETTLED``).

Afterwards: nobody got two copies, nobody was skipped, nobody failed but the bad
address, no row was ever held that never reached the provider, and none is held at
the end (the events log settled every ambiguous answer).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from tests.delivery.conftest import ENV, make_variant, people
from tests.delivery.fake_mailgun import FakeMailgun, Faults
from tests.delivery.kill_worker import ROOT
from varcomms.clock import FakeClock
from varcomms.config import load_config, load_secrets
from varcomms.context import Context
from varcomms.delivery import deliver
from varcomms.store.schema import deliveries, sends

RECIPIENTS = 600
BAD = "persoon333@gemeente4.nl"
START = datetime(2022, 2, 1, 8, 0, tzinfo=UTC)


def worker(database_url: str, base_url: str, run: int, channel: Any) -> None:
    """One run of the send (always ``resume=True``: a first run simply starts)."""
    config = load_config(ROOT / "varcomms.toml")
    mailgun = config.provider.mailgun.model_copy(update={"base_url": base_url, "batch_size": 20})
    provider = config.provider.model_copy(update={"name": "mailgun", "mailgun": mailgun})
    delivery = config.delivery.model_copy(
        update={"rate_per_second": None, "concurrency": 2, "max_retries": 10}
    )
    config = config.model_copy(update={"provider": provider, "delivery": delivery})
    clock = FakeClock(START + timedelta(hours=run))  # back-offs pass without sleeping
    ctx = Context(config=config, secrets=load_secrets(ENV), database_url=database_url, clock=clock)
    try:
        report = deliver(
            ctx,
            edition_id="2022-02",
            variants={"algemeen": make_variant("algemeen", paragraphs=3)},
            recipients=people(RECIPIENTS),
            resume=True,
            progress=lambda _: channel.send("tick"),
        )
        channel.send(f"done {report.status}")
    except BaseException as err:  # the parent reads the reason; the exit code says it
        channel.send(f"error {err!r}")
        raise
    finally:
        ctx.close()


def run_once(database_url: str, base_url: str, run: int, kill_after: int | None) -> str:
    process_context = multiprocessing.get_context("fork")
    receiver, sender = process_context.Pipe(duplex=False)
    child = process_context.Process(target=worker, args=(database_url, base_url, run, sender))
    child.start()
    sender.close()
    ticks, last = 0, ""
    while True:
        try:
            last = receiver.recv()
        except EOFError:
            break
        ticks += last == "tick"
        if kill_after is not None and ticks >= kill_after:
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
            last = "killed"
            break
    child.join(timeout=120)
    receiver.close()
    return last


@pytest.fixture
def fake() -> Iterator[FakeMailgun]:
    server = FakeMailgun(Faults(bad_address=BAD), seed=12).start()
    yield server
    server.stop()


def test_kill_and_resume_under_provider_faults(fake: FakeMailgun, database_url: str) -> None:
    chooser = random.Random(2022)
    engine = create_engine(database_url)
    held_never_sent: list[str] = []
    run = 0
    for run in range(6):
        run_once(database_url, fake.base_url, run, kill_after=chooser.randint(1, 8))
        with engine.connect() as db:
            held = [
                r.email
                for r in db.execute(
                    select(deliveries.c.email).where(deliveries.c.state == "uncertain")
                )
            ]
        # Rows held now must at least have been on the wire: a kill during a back-off
        # or a rate-limit wait leaves them pending, never uncertain.
        held_never_sent += [email for email in held if email not in fake.seen]
    # Resume until the send is settled: a 500 after acceptance in a run is held until
    # the next resume finds it in the events log.
    status = ""
    for extra in range(1, 6):
        last = run_once(database_url, fake.base_url, run + extra, kill_after=None)
        assert last.startswith("done"), last
        status = last.split()[1]
        if status == "finished":
            break
    with engine.connect() as db:
        rows = {r.email: (r.state, r.error) for r in db.execute(select(deliveries))}
        send_states = [r.status for r in db.execute(select(sends.c.status))]
    engine.dispose()

    everyone = {r.email for r in people(RECIPIENTS)}
    assert status == "finished" and send_states == ["finished"]
    # The faults did happen, and kills landed.
    served = fake.served
    assert all(served[k] for k in ("429", "reset before", "500 after", "reset after", "400")), (
        served
    )
    assert max(fake.accepted.values()) == 1, "nobody gets two copies"
    assert set(fake.accepted) == everyone - {BAD}, "nobody is skipped"
    failed = {email for email, (state, _) in rows.items() if state == "failed"}
    assert failed == {BAD}, "nobody fails but the bad address"
    assert "not a valid address" in (rows[BAD][1] or "")
    assert held_never_sent == [], "nobody is held who never reached the provider"
    # And at the end nobody is held at all: reconciliation settled every one.
    assert Counter(state for state, _ in rows.values()) == Counter(
        {"sent": RECIPIENTS - 1, "failed": 1}
    )
