"""Benchmark: import 100,000 generated subscribers and resolve a three-rule segment.

    uv run python benchmarks/bench_audience.py                 # 100,000 rows, SQLite
    uv run python benchmarks/bench_audience.py --rows 10000 50000 100000
    uv run python benchmarks/bench_audience.py --postgres postgresql://postgres@127.0.0.1/test

Each size runs in a fresh child process (a new database in a temporary folder), so peak
memory (the process's maximum resident set size) is measured per size: equal peaks for
10k and 100k rows mean memory is flat in the number of rows. The CSV is written by the
child before timing starts, streamed, deterministic (seeded), in the native format with
realistic mess: mixed-case addresses, about 1% bad rows and 1% duplicates.

Goals (issue 6): import < 15 s, segment < 0.5 s, memory flat in the number of rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from varcomms.audience.mappings import NATIVE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
MUNICIPALITIES = [
    "Rotterdam",
    "Schiedam",
    "Vlaardingen",
    "Maassluis",
    "Barendrecht",
    "Ridderkerk",
    "Lansingerland",
    "Nissewaard",
    "Capelle aan den IJssel",
]
ORG_TYPES = ["gemeente", "politie", "om", "riec", "zorg-veiligheidshuis", "ondernemer", "other"]
DOMAINS = ["rotterdam.nl", "politie.nl", "om.nl", "riec.nl", "schiedam.nl", "example.org"]
SEGMENT = """name: bench
description: three rules
rule:
  all:
    - org_type: [gemeente, politie]
    - themes: {any: [ondermijning, cybercriminaliteit]}
    - municipality: [Rotterdam, Schiedam]
"""


def write_csv(path: Path, rows: int, slugs: list[str]) -> None:
    rng = random.Random(6)
    header = list(NATIVE_COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for i in range(rows):
            roll = rng.random()
            if roll < 0.01:
                email = f"kapot{i}@@example.org"  # bad address
            elif roll < 0.02 and i:
                email = f"Persoon{i - 1}@{DOMAINS[(i - 1) % len(DOMAINS)]}".upper()  # duplicate
            else:
                email = f"Persoon{i}@{DOMAINS[i % len(DOMAINS)]}"
            first = rng.choice(["Jan", "Anja", "Samira", "Piet", "Fatima", "Tom", "Eva"])
            writer.writerow(
                [
                    email,
                    f"{first} Achternaam{i}",
                    first,
                    f"Organisatie {i % 500}",
                    rng.choice(ORG_TYPES),
                    rng.choice(MUNICIPALITIES),
                    "|".join(rng.sample(slugs, rng.randrange(0, 4))),
                    "nl",
                    rng.choices(["subscribed", "pending", "unsubscribed"], [85, 5, 10])[0],
                    "aanmeldformulier",
                    f"2021-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00+01:00",
                    "",
                ]
            )


def child(rows: int, database_url: str | None) -> dict[str, object]:
    from rich.console import Console

    from varcomms import audience
    from varcomms.config import load_config
    from varcomms.context import Context

    folder = Path(tempfile.mkdtemp(prefix="bench-audience-"))
    config = load_config(ROOT / "varcomms.toml")
    paths = config.paths.model_copy(update={"data": folder / "data", "audiences": folder})
    config = config.model_copy(update={"paths": paths})
    (folder / "bench.yaml").write_text(SEGMENT, encoding="utf-8")
    source = folder / "subscribers.csv"
    write_csv(source, rows, [theme.slug for theme in config.themes])
    ctx = Context(config=config, console=Console(quiet=True), database_url=database_url)
    ctx.store  # noqa: B018 - open and migrate before timing
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    started = time.perf_counter()
    report = audience.import_csv(ctx, source)
    import_seconds = time.perf_counter() - started

    segment = audience.load_segment(config, "bench")
    started = time.perf_counter()
    recipients = audience.count(ctx.store, segment)
    count_seconds = time.perf_counter() - started
    started = time.perf_counter()
    streamed = sum(1 for _ in audience.iter_recipients(ctx.store, segment))
    stream_seconds = time.perf_counter() - started
    assert streamed == recipients

    started = time.perf_counter()
    again = audience.import_csv(ctx, source, dry_run=True)
    rerun_seconds = time.perf_counter() - started
    assert again.count("added") == 0 and again.count("updated") == 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ctx.close()
    return {
        "rows": rows,
        "backend": ctx.store.dialect,
        "counts": {o.value: report.count(o) for o in audience.ImportOutcome},
        "import_s": round(import_seconds, 2),
        "rows_per_s": round(rows / import_seconds),
        "segment_count_s": round(count_seconds, 3),
        "segment_stream_s": round(stream_seconds, 3),
        "segment_recipients": recipients,
        "rerun_dry_s": round(rerun_seconds, 2),
        "baseline_rss_mb": round(baseline / 1024, 1),
        "peak_rss_mb": round(peak / 1024, 1),
    }


def _postgres_database(url: str) -> tuple[str, object]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(url).set(drivername="postgresql+psycopg")
    name = f"varcomms_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--postgres", help="also run on this PostgreSQL server (admin URL)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.rows[0], args.database_url)))
        return
    results = []
    for backend in ["sqlite", "postgresql"] if args.postgres else ["sqlite"]:
        for rows in args.rows:
            command = [sys.executable, __file__, "--child", "--rows", str(rows)]
            drop = None
            if backend == "postgresql":
                url, drop = _postgres_database(args.postgres)
                command += ["--database-url", url]
            try:
                output = subprocess.run(command, check=True, capture_output=True, text=True)
            finally:
                if drop is not None:
                    drop()
            result = json.loads(output.stdout.strip().splitlines()[-1])
            results.append(result)
            print(
                f"{result['backend']:>10} {rows:>7} rows: import {result['import_s']:>6} s "
                f"({result['rows_per_s']} rows/s), segment count {result['segment_count_s']} s, "
                f"stream {result['segment_stream_s']} s ({result['segment_recipients']} "
                f"recipients), dry re-run {result['rerun_dry_s']} s, peak RSS "
                f"{result['peak_rss_mb']} MB (after setup {result['baseline_rss_mb']} MB)",
                flush=True,
            )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
