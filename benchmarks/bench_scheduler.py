"""Benchmark: a whole year of the sample plan on a fake clock, sends to the outbox included.

    uv run python benchmarks/bench_scheduler.py
    uv run python benchmarks/bench_scheduler.py --postgres postgresql://postgres@127.0.0.1:5432/test

The clock steps through every moment a job would wake the scheduler in 2022 (collect
each morning, the daily refresh, drafting, reminders, sends and rechecks: what
APScheduler would fire) and runs a decision pass at each. The sample audience (320
rows) is imported; the "editors" approve and schedule each edition an hour before its
review deadline. Printed: wall time, passes, acts per kind, and database queries per
decision (the read before deciding) and per act (a send's claim and ledger included).
Nothing is asserted; the figures go into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from varcomms import audience, editions
from varcomms.clock import FakeClock
from varcomms.config import load_config, load_secrets
from varcomms.context import Context
from varcomms.delivery.providers.outbox import read_index
from varcomms.scheduler import records
from varcomms.scheduler.core import PassReport, SchedulerCore
from varcomms.scheduler.decide import decide
from varcomms.scheduler.jobs import wake_times
from varcomms.scheduler.plan import AMSTERDAM, read_plan
from varcomms.scheduler.state import read_states

ROOT = Path(__file__).resolve().parents[1]
RIEC_ITEM = (
    "\n---\ntitle: Bericht van het RIEC\nlink: https://veiligheidsalliantie.nl/riec/b/\n---\n"
    "Het RIEC deelt een handelingsperspectief.\n"
)


class Clock(FakeClock):
    def set(self, when: datetime) -> None:
        self._now = when.astimezone(UTC)


def postgres_database(admin_url: str) -> str:
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"varcomms_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="admin URL; a fresh database is made for the run")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
    base = load_config(ROOT / "varcomms.toml")
    paths = base.paths.model_copy(
        update={"data": folder / "data", "newsletters": folder / "newsletters"}
    )
    outbox = base.provider.outbox.model_copy(update={"directory": folder / "outbox"})
    provider = base.provider.model_copy(update={"name": "outbox", "outbox": outbox})
    config = base.model_copy(update={"paths": paths, "provider": provider})
    url = postgres_database(args.postgres) if args.postgres else f"sqlite:///{folder / 'b.db'}"
    plan = read_plan(ROOT / "scheduler" / "plan-2022.yaml")
    start = datetime(2022, 1, 1, 0, 0, tzinfo=AMSTERDAM)
    end = datetime(2022, 12, 31, 23, 59, tzinfo=AMSTERDAM)
    clock = Clock(start.astimezone(UTC))
    ctx = Context(
        config=config,
        secrets=load_secrets({"VARCOMMS_SIGNING_KEY": "bench-signing-key-0123456789abcdef"}),
        clock=clock,
        database_url=url,
    )
    audience.import_csv(ctx, ROOT / "audiences" / "sample-subscribers.csv")
    queries = 0

    def count(*_args: object) -> None:
        nonlocal queries
        queries += 1

    event.listen(ctx.store.engine, "before_cursor_execute", count)
    core = SchedulerCore(ctx, [plan], owner="bench")
    report = PassReport()
    decide_queries: list[int] = []
    decide_seconds: list[float] = []
    act_queries: dict[str, list[int]] = defaultdict(list)
    act_seconds: dict[str, list[float]] = defaultdict(list)
    approved: set[str] = set()
    editor_seconds = 0.0
    times = wake_times([plan], clock.now(), end)
    started = time.perf_counter()
    for when in times:
        for e in plan.editions:  # the editors, an hour before each review deadline
            ready = e.review_deadline - timedelta(hours=1)
            folder_e = config.newsletters_dir / e.id
            if e.id not in approved and when >= ready and folder_e.is_dir():
                t0 = time.perf_counter()
                clock.set(ready)
                (folder_e / "intro.md").write_text("Het voorwoord.\n", encoding="utf-8")
                riec = folder_e / "riec.md"
                if "title:" not in riec.read_text(encoding="utf-8"):
                    riec.write_text(riec.read_text(encoding="utf-8") + RIEC_ITEM, "utf-8")
                for role in ("var", "riec"):
                    editions.approve(ctx, e.id, role, f"redactie {role}")
                editions.schedule(ctx, e.id)
                approved.add(e.id)
                editor_seconds += time.perf_counter() - t0
        clock.set(when)
        before, t0 = queries, time.perf_counter()
        states = read_states(config, [e.id for e in plan.editions])
        memory = records.read_memory(ctx.store)
        decisions = decide([plan], states, memory, clock.now())
        decide_queries.append(queries - before)
        decide_seconds.append(time.perf_counter() - t0)
        for decision in decisions:
            before, t0 = queries, time.perf_counter()
            core._act(decision, report)
            act_queries[decision.action].append(queries - before)
            act_seconds[decision.action].append(time.perf_counter() - t0)
    wall = time.perf_counter() - started
    sent = {e.id: len(read_index(folder / "outbox" / e.id)) for e in plan.editions}
    reminders = len(read_index(folder / "outbox" / "herinnering"))
    print(f"database: {ctx.store.dialect}; {len(plan.editions)} editions; audience 320 rows")
    print(
        f"year simulated in {wall:.1f} s wall ({editor_seconds:.1f} s of it the editors' approvals)"
    )
    print(
        f"passes: {len(times)}; decision pass: median "
        f"{statistics.median(decide_seconds) * 1000:.1f} ms, "
        f"{statistics.mean(decide_queries):.1f} queries (max {max(decide_queries)})"
    )
    for action, counts in sorted(act_queries.items()):
        seconds = act_seconds[action]
        print(
            f"  {action:8} × {len(counts):4}: {statistics.mean(counts):7.1f} queries, "
            f"{statistics.mean(seconds) * 1000:8.1f} ms each"
        )
    print(f"sent per edition: {sent}; reminder/notice mails: {reminders}")
    once = all(
        n == len({r["to"] for r in read_index(folder / "outbox" / e)}) for e, n in sent.items()
    )
    print(f"every recipient of every edition got exactly one copy: {once}")
    ctx.close()


if __name__ == "__main__":
    main()
