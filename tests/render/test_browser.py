"""The rendered email in a real browser: Playwright driving Debian's Chromium.

Screenshots are kept as test artefacts under test-artifacts/render/ for a person to
look at; the assertions check what a picture cannot prove by itself.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.render.conftest import load_fixture_edition
from varcomms.config import Config
from varcomms.models import Edition
from varcomms.render import render_variant, variants_of
from varcomms.render.colours import contrast
from varcomms.render.preview import local_logos, preview_html
from varcomms.render.screenshots import CHROMIUM, browser, capture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
    ),
]
ARTIFACTS = ROOT / "test-artifacts" / "render"


def _rgb(css: str) -> tuple[int, int, int]:
    """'rgb(31, 41, 51)' as computed by the browser; a page without colour is white."""
    numbers = [int(float(n)) for n in re.findall(r"[\d.]+", css)[:3]]
    if css.startswith("rgba") and css.endswith(", 0)"):
        return (255, 255, 255)
    return (numbers[0], numbers[1], numbers[2])


@pytest.mark.parametrize("key", ["algemeen", "cyber"])
def test_email_at_phone_and_desktop_width(config: Config, edition: Edition, key: str) -> None:
    variant = next(v for v in variants_of(edition) if v.key == key)
    page = preview_html(config, render_variant(config, edition, variant))
    logo_alts = {brand.logo_alt for brand in config.brands.values()}
    with browser() as chromium:
        for width in (375, 600):
            report = capture(
                chromium,
                page,
                width=width,
                assets=local_logos(config),
                path=ARTIFACTS / f"{key}-{width}.png",
            )
            assert report.path is not None and report.path.stat().st_size > 10_000
            assert not report.scrolls_horizontally, f"{report.scroll_width}px wide at {width}px"
            header = report.images[:2]  # the co-branded header comes first
            assert {image["alt"] for image in header} == logo_alts
            for image in header:
                assert image["complete"] and image["naturalWidth"] > 0, image
                assert image["width"] >= 120 and image["height"] > 0, image
                assert image["left"] >= 0 and image["right"] <= width, image
            # Side by side on both widths: the same row, not overlapping.
            var_logo, riec_logo = header
            assert var_logo["right"] <= riec_logo["left"]
            for image in report.images:
                assert image["right"] <= width, image
        for dark in (False, True):
            report = capture(
                chromium,
                page,
                width=375,
                assets=local_logos(config),
                path=ARTIFACTS / f"{key}-375-dark.png" if dark else None,
                dark=dark,
            )
            # Readable as the reader sees it, light and dark (prefers-color-scheme).
            assert len(report.texts) > 30
            for text in report.texts:
                ratio = contrast(_rgb(text["color"]), _rgb(text["background"]))
                assert ratio >= 4.5, (dark, text, round(ratio, 2))


def test_preview_command_writes_screenshots(cli, monkeypatch, tmp_path: Path) -> None:
    module = types.ModuleType("varcomms.editions")
    module.load_edition = lambda config, edition_id: load_fixture_edition()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "varcomms.editions", module)
    result = cli(
        "--config",
        str(ROOT / "varcomms.toml"),
        "preview",
        "2022-02",
        "--variant",
        "algemeen",
        "--screenshot",
        "--out",
        str(tmp_path),
    )
    assert result.code == 0, result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["algemeen-375.png", "algemeen-600.png"]
    png = (tmp_path / "algemeen-600.png").read_bytes()
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 600
