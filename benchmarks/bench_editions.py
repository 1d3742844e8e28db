"""Benchmark the editions stage: drafting from a large pool, reading, linting.

Run: ``uv run python benchmarks/bench_editions.py [--items 5000]``. Uses a temporary
folder and SQLite database (the sample edition is read in place); prints wall-clock
times and throughputs. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from varcomms import pool
from varcomms.clock import FakeClock
from varcomms.config import load_config
from varcomms.context import Context
from varcomms.editions import draft_new, lint_edition, load_edition
from varcomms.models import EventInfo, Item, ItemKind
from varcomms.store import Store

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2022, 1, 20, 10, 0, tzinfo=UTC)
THEMES = ("cybercriminaliteit", "ondermijning", "mensenhandel", "veilig-wonen", "")


def make_items(count: int) -> list[Item]:
    items: list[Item] = []
    for n in range(count):
        theme = THEMES[n % len(THEMES)]
        published = NOW - timedelta(minutes=7 * n % (60 * 24 * 40))
        if n % 10 == 0:
            start = NOW + timedelta(hours=5 * n % (24 * 120))
            items.append(
                Item(
                    id=Item.make_id("agenda", str(n)),
                    source="agenda",
                    kind=ItemKind.EVENT,
                    title=f"Bijeenkomst {n}",
                    url=f"https://veiligheidsalliantie.nl/agenda/{n}/",
                    event=EventInfo(start=start, location="Rotterdam"),
                )
            )
            continue
        items.append(
            Item(
                id=Item.make_id("nieuws", str(n)),
                source="riec-nieuws" if n % 7 == 0 else "var-nieuws",
                kind=ItemKind.NEWS,
                title=f"Bericht {n} over {theme or 'de regio'}",
                url=f"https://veiligheidsalliantie.nl/nieuws/{n}/",
                summary_html=f"<p>Samenvatting van <strong>bericht {n}</strong>, "
                f'met <a href="https://veiligheidsalliantie.nl/{n}">een link</a>.</p>',
                published=published,
                themes=(theme,) if theme else (),
                brand="riec" if n % 7 == 0 else "var",
            )
        )
    return items


def timed(label: str, work, unit: str, count: int):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    print(f"{label:<34} {seconds * 1000:9.1f} ms   {count / seconds:10.0f} {unit}/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        config = load_config(ROOT / "varcomms.toml")
        settings = config.editions.model_copy(update={"general_items_max": 10_000})
        paths = config.paths.model_copy(update={"data": tmp, "newsletters": tmp / "nl"})
        config = config.model_copy(update={"paths": paths, "editions": settings})
        store = Store.open(f"sqlite:///{tmp / 'bench.db'}")
        ctx = Context(config=config, clock=FakeClock(NOW))
        ctx.__dict__["store"] = store
        items = make_items(args.items)
        timed("pool upsert", lambda: pool.upsert_items(store, items, now=NOW), "items", len(items))
        planned = datetime(2022, 2, 1, 8, 0, tzinfo=UTC)
        edition = timed(
            "draft_new (query, write, mark used)",
            lambda: draft_new(ctx, "2022-01", planned=planned),
            "items",
            len(items),
        )
        drafted = sum(len(s.items) for s in edition.all_sections)
        print(f"  drafted {drafted} items into {len(edition.all_sections)} sections")
        timed("load_edition", lambda: load_edition(config, "2022-01"), "items", drafted)
        report = timed(
            "lint_edition (no links)", lambda: lint_edition(ctx, "2022-01"), "items", drafted
        )
        print(f"  {len(report.errors)} errors, {len(report.warnings)} warnings")
        store.close()
    # The sample edition (13 items): what an editor waits for on every command.
    sample_config = load_config(ROOT / "varcomms.toml")
    sample_ctx = Context(config=sample_config, clock=FakeClock(NOW))
    runs = 50
    timed(
        f"sample edition: load x{runs}",
        lambda: [load_edition(sample_config, "2022-01") for _ in range(runs)],
        "loads",
        runs,
    )
    timed(
        f"sample edition: lint x{runs}",
        lambda: [lint_edition(sample_ctx, "2022-01") for _ in range(runs)],
        "lints",
        runs,
    )


if __name__ == "__main__":
    main()
