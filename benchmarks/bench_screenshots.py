"""Screenshot benchmark: `preview --screenshot` of the sample edition, two ways.

    uv run python benchmarks/bench_screenshots.py [--rounds 5]

Both ways use one Chromium for the whole run (as `preview --screenshot` always did):

- per-shot : a new browser context and page for every PNG (the code before issue 11)
- reused   : one page per colour scheme, resized between widths (``Camera``)

Each round takes every variant of ``newsletters/2022-01`` at 600 and 375 px (4 PNGs),
rounds of the two ways interleaved; the figure is the median wall time per round,
because the work happens in Chromium's processes, not in this one. Requires
/usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from varcomms.config import load_config  # noqa: E402
from varcomms.editions import load_edition  # noqa: E402
from varcomms.render import Templates, render_variant, variants_of  # noqa: E402
from varcomms.render.preview import local_logos, preview_html  # noqa: E402
from varcomms.render.screenshots import (  # noqa: E402
    PAGE_URL,
    WIDTHS,
    Camera,
    _router,
    browser,
)


def _serve(html: str) -> Callable[[Any], None]:
    return lambda route: route.fulfill(body=html, content_type="text/html")


def per_shot(chromium: Any, pages: list[str], assets: dict[str, Path], out: Path) -> None:
    """The previous capture(): a context, a page and its routes for each PNG."""
    for index, html in enumerate(pages):
        for width in WIDTHS:
            context = chromium.new_context(
                viewport={"width": width, "height": 900}, device_scale_factor=1
            )
            try:
                page = context.new_page()
                page.route("**/*", _router(assets))
                page.route(PAGE_URL, _serve(html))
                page.goto(PAGE_URL, wait_until="load")
                page.screenshot(path=str(out / f"old-{index}-{width}.png"), full_page=True)
            finally:
                context.close()


def reused(chromium: Any, pages: list[str], assets: dict[str, Path], out: Path) -> None:
    camera = Camera(chromium, assets)
    try:
        for index, html in enumerate(pages):
            for width in WIDTHS:
                camera.shoot(html, width=width, path=out / f"new-{index}-{width}.png")
    finally:
        camera.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    config = load_config(ROOT / "varcomms.toml")
    edition = load_edition(config, "2022-01")
    templates = Templates(config.templates_dir)
    pages = [
        preview_html(config, render_variant(config, edition, v, templates))
        for v in variants_of(edition)
    ]
    assets = local_logos(config)
    ways: dict[str, Callable[..., None]] = {"per-shot": per_shot, "reused": reused}
    times: dict[str, list[float]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory() as folder, browser() as chromium:
        out = Path(folder)
        for way in ways.values():  # warm-up
            way(chromium, pages, assets, out)
        for _ in range(args.rounds):
            for name, way in ways.items():
                started = time.perf_counter()
                way(chromium, pages, assets, out)
                times[name].append(time.perf_counter() - started)
    shots = len(pages) * len(WIDTHS)
    print(
        f"{len(pages)} variants × {len(WIDTHS)} widths = {shots} PNGs per round, "
        f"median of {args.rounds} rounds (wall)"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:9} {median:6.2f} s per round  {median / shots * 1000:6.0f} ms per PNG")
    ratio = statistics.median(times["per-shot"]) / statistics.median(times["reused"])
    print(f"reused page: {ratio:.2f}× as fast as a context per PNG")


if __name__ == "__main__":
    main()
