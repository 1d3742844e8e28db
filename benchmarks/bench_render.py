"""Render benchmark: the sample edition step by step, and mjml-python against Node mjml.

    uv run python benchmarks/bench_render.py [--iterations 200] [--repeats 7] [--skip-node]

What is measured, per call, in one process:

- jinja      : the view of the edition plus the Jinja2 templates → MJML document
- mjml-check : our own MJML check (mjml-python never warns)
- mjml       : the bare ``mjml2html`` call of mjml-python (the reference for the ratio)
- text       : the plain-text part
- web        : the web (archive) version, derived from the email HTML
- checks     : the quality checks on the HTML, with one ``Parsed`` held across the calls
               (as a send holds one across its variants)
- checks-cold: the same with a fresh ``Parsed`` each call: every attribute read anew
- whole      : ``render_variant`` — all of the above, as delivery calls it
- whole-cold : the same with a fresh ``Parsed`` each call

Node: ``npm install mjml@4`` into a temporary folder, then a small node script times
``mjml()`` in-process over the same number of renders of the *same* MJML document.

Each figure is the best of ``repeats`` rounds of ``iterations`` calls, rounds of all
steps interleaved. The clock is CPU time of the process by default (``--clock cpu``:
``time.process_time`` here, ``process.cpuUsage`` in node), because on a shared machine
wall time mostly measures the neighbours; ``--clock wall`` measures elapsed time.

Targets from issue 5: the MJML step at least 15× faster than Node mjml; the whole render
within 10× of the bare mjml2html call.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mjml import mjml2html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from varcomms.config import load_config  # noqa: E402
from varcomms.models import Edition  # noqa: E402
from varcomms.render import (  # noqa: E402
    Parsed,
    Templates,
    check_html,
    render_variant,
    variant_for,
)
from varcomms.render.mjml_check import check_mjml  # noqa: E402
from varcomms.render.pipeline import (  # noqa: E402
    email_html,
    mjml_document,
    strip_marks,
    text_part,
    web_version,
)

NODE_SCRIPT = r"""
const fs = require('fs');
const mjml = require('mjml');
const [docPath, iterations, repeats, clock] =
  [process.argv[2], +process.argv[3], +process.argv[4], process.argv[5]];
const now = clock === 'cpu'
  ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; }
  : () => Number(process.hrtime.bigint()) / 1e6;
const doc = fs.readFileSync(docPath, 'utf8');
const options = {validationLevel: 'soft', minify: false, keepComments: true};
const first = mjml(doc, options);
for (let i = 0; i < 20; i++) mjml(doc, options);  // warm the JIT
const perCall = [];
for (let r = 0; r < repeats; r++) {
  const start = now();
  for (let i = 0; i < iterations; i++) mjml(doc, options);
  perCall.push((now() - start) / iterations);
}
console.log(JSON.stringify({
  per_call_ms: perCall, html_bytes: Buffer.byteLength(first.html),
  errors: first.errors.map(e => e.formattedMessage), version: require('mjml/package.json').version,
}));
"""


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}


def timed(
    function: Callable[[], Any], iterations: int, repeats: int, clock: str = "cpu"
) -> list[float]:
    """Milliseconds per call, one figure per round."""
    now = CLOCKS[clock]
    function()  # warm caches (templates compiled, regexes built)
    rounds = []
    for _ in range(repeats):
        start = now()
        for _ in range(iterations):
            function()
        rounds.append((now() - start) * 1000 / iterations)
    return rounds


class NodeMjml:
    """Node mjml 4, installed from npm into a temporary folder for this run only."""

    def __init__(self, folder: Path, document: str) -> None:
        self.folder = folder
        npm, node = shutil.which("npm"), shutil.which("node")
        if not npm or not node:
            raise RuntimeError("node/npm not found")
        self.node = node
        (folder / "package.json").write_text('{"name": "bench-mjml", "private": true}')
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", "mjml@4"],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        (folder / "doc.mjml").write_text(document, encoding="utf-8")
        (folder / "bench.js").write_text(NODE_SCRIPT, encoding="utf-8")

    def round(self, iterations: int, clock: str) -> dict[str, Any]:
        """One timed round (in-process in node, after a warm-up); ms per call."""
        result = subprocess.run(
            [self.node, "bench.js", "doc.mjml", str(iterations), "1", clock],
            cwd=self.folder,
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-node", action="store_true")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    config = load_config(ROOT / "varcomms.toml")
    data = json.loads((ROOT / "tests/fixtures/render/edition.json").read_text(encoding="utf-8"))
    edition = Edition.model_validate(data)
    variant = variant_for(edition, {"cybercriminaliteit"})  # the largest variant

    # Built once, as a send or a render run builds it: compiled templates are reused.
    templates = Templates(config.templates_dir)
    name, document, context = mjml_document(config, edition, variant, templates=templates)
    marked = email_html(templates, name, document, context)
    html = strip_marks(marked)
    n, r = args.iterations, args.repeats
    # Held across the calls, as a send holds one across the variants it renders; the
    # "-cold" steps check with a fresh one each call (a single render on its own).
    parsed = Parsed()
    calls: dict[str, Callable[[], Any]] = {
        "jinja": lambda: mjml_document(config, edition, variant, templates=templates),
        "mjml-check": lambda: check_mjml(document),
        "mjml": lambda: mjml2html(document, fonts={}),
        "text": lambda: text_part(templates, edition, context),
        "web": lambda: web_version(config, edition.id, marked),
        "checks": lambda: check_html(html, config.render, parsed=parsed),
        "checks-cold": lambda: check_html(html, config.render),
        "whole": lambda: render_variant(config, edition, variant, templates, parsed=parsed),
        "whole-cold": lambda: render_variant(config, edition, variant, templates),
    }
    steps: dict[str, list[float]] = {step: [] for step in calls}
    node_rounds: list[float] = []
    node: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="bench-mjml-") as folder:
        runner = None
        if not args.skip_node:
            try:
                runner = NodeMjml(Path(folder), document)
            except (RuntimeError, subprocess.CalledProcessError) as err:
                print(f"Node comparison skipped: {err}", file=sys.stderr)
        # Rounds interleave the steps (and node), so a busy moment on the shared
        # machine slows all of them alike instead of one step only.
        for _ in range(r):
            for step, call in calls.items():
                steps[step] += timed(call, n, 1, args.clock)
            if runner is not None:
                node = runner.round(n, args.clock)
                node_rounds += node["per_call_ms"]
    if node is not None:
        node["per_call_ms"] = node_rounds

    best = {step: min(rounds) for step, rounds in steps.items()}
    figures: dict[str, Any] = {
        "mjml_document_bytes": len(document.encode()),
        "html_bytes": len(html.encode()),
        "iterations": n,
        "clock": args.clock,
        "repeats": r,
        "best_ms": best,
        "median_ms": {step: statistics.median(rounds) for step, rounds in steps.items()},
        "whole_over_mjml": best["whole"] / best["mjml"],
        "whole_cold_over_mjml": best["whole-cold"] / best["mjml"],
    }
    if node is not None:
        figures["node"] = {
            "version": node["version"],
            "best_ms": min(node["per_call_ms"]),
            "median_ms": statistics.median(node["per_call_ms"]),
            "html_bytes": node["html_bytes"],
            "validation_errors": node["errors"],
        }
        figures["node_over_mjml"] = min(node["per_call_ms"]) / best["mjml"]

    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(
        f"sample edition, variant {variant.key!r}: MJML {figures['mjml_document_bytes']:,} B "
        f"→ HTML {figures['html_bytes']:,} B; best of {r} × {n} calls, {args.clock} time\n"
    )
    print(f"{'step':<12}{'best ms':>10}{'median ms':>12}")
    for step in steps:
        print(f"{step:<12}{best[step]:>10.3f}{figures['median_ms'][step]:>12.3f}")
    parts = sum(best[s] for s in ("jinja", "mjml-check", "mjml", "text", "web", "checks"))
    print(f"{'(sum)':<12}{parts:>10.3f}")
    print()
    ratio = figures["whole_over_mjml"]
    verdict = "meets" if ratio <= 10 else "MISSES"
    print(f"whole render / bare mjml2html: {ratio:.1f}×  ({verdict} the ≤ 10× target)")
    print(f"  (cold, a fresh Parsed each render: {figures['whole_cold_over_mjml']:.1f}×)")
    if node is not None:
        speedup = figures["node_over_mjml"]
        verdict = "meets" if speedup >= 15 else "MISSES"
        print(
            f"Node mjml {node['version']}: {figures['node']['best_ms']:.3f} ms per call "
            f"(median {figures['node']['median_ms']:.3f}), HTML {node['html_bytes']:,} B, "
            f"{len(node['errors'])} validation message(s)"
        )
        print(f"mjml-python vs Node mjml: {speedup:.1f}× faster  ({verdict} the ≥ 15× target)")
        print(
            f"whole render (checks included) vs Node mjml alone: "
            f"{figures['node']['best_ms'] / best['whole']:.1f}× faster"
        )
        for message in node["errors"]:
            print(f"  node: {message}")


if __name__ == "__main__":
    main()
