"""The layout as Chromium computes it: nothing scrolls sideways, dark mode holds, logos
stay legible (U2, R3, R8, R14).

`varcomms preview --screenshot` runs as a child process, the way an editor runs it; its
PNGs of the sample edition and of a freshly drafted one (375 and 600 px, light and dark)
are kept under test-artifacts/render/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.render.conftest import Project
from varcomms.config import Config
from varcomms.models import Edition
from varcomms.render import Variant, render_variant
from varcomms.render.preview import local_logos, preview_html
from varcomms.render.screenshots import CHROMIUM, Camera, browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
    ),
]
ARTIFACTS = ROOT / "test-artifacts" / "render"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header.startswith(b"\x89PNG")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def _screenshots(project: Project, edition_id: str, name: str) -> list[Path]:
    out = ARTIFACTS / name
    shutil.rmtree(out, ignore_errors=True)
    result = project.run("preview", edition_id, "--screenshot", "--dark", "--out", str(out))
    assert result.returncode == 0, result
    paths = [Path(line) for line in result.stdout.splitlines() if line.endswith(".png")]
    assert paths and all(path.is_file() for path in paths)
    return paths


def _check_widths(paths: list[Path]) -> None:
    for path in paths:
        width = int(re.search(r"-(\d+)(?:-dark)?\.png$", path.name).group(1))  # type: ignore[union-attr]
        assert png_size(path)[0] == width, path.name  # full page, not wider than the screen


def test_sample_edition_fits_phone_and_desktop_in_light_and_dark(project: Project) -> None:
    paths = _screenshots(project, "2022-01", "sample-2022-01")
    assert sorted(path.name for path in paths) == sorted(
        f"{key}-{width}{dark}.png"
        for key in ("algemeen", "thema-verward-gedrag")
        for width in (600, 375)
        for dark in ("", "-dark")
    )
    _check_widths(paths)


def test_freshly_drafted_edition_fits_too(project: Project) -> None:
    # The audit's reproduction: feed HTML with width="600" images and <figure>s.
    project.run("collect", check=True)
    project.run("draft", "new", "2022-02", "--date", "2022-03-01", check=True)
    drafted = (project.edition("2022-02") / "kennis.md").read_text(encoding="utf-8")
    assert 'width="600"' in drafted  # the feed's image is still in the file, as written
    paths = _screenshots(project, "2022-02", "drafted-2022-02")
    assert len(paths) == 4
    _check_widths(paths)


def test_overflow_fails_the_screenshot_run(project: Project) -> None:
    # A table too wide for a phone, which no width attribute on an image gives away.
    riec = project.templates / "partials" / "intro.mjml.j2"
    riec.parent.mkdir(parents=True)
    riec.write_text(
        '    <mj-section css-class="vc-paper" padding="28px 24px 4px 24px"><mj-column>\n'
        '      <mj-text><table role="presentation" style="width:720px;"><tr><td>'
        "Breed</td></tr></table>{{ intro_html }}</mj-text>\n"
        "    </mj-column></mj-section>\n",
        encoding="utf-8",
    )
    out = project.root / "shots"
    result = project.run(
        "preview", "2022-01", "--screenshot", "--variant", "algemeen", "--out", str(out)
    )
    assert result.returncode == 1, result
    assert "algemeen at 375 px: the email is" in result.stdout
    assert "scrolls sideways" in result.stdout
    assert "wider than the screen in 2 screenshot(s)" in result.stderr.replace("\n", " ")


def _texts(config: Config, edition: Edition, variant: Variant, *, dark: bool, width: int):
    page = preview_html(config, render_variant(config, edition, variant))
    with browser() as chromium:
        camera = Camera(chromium, local_logos(config))
        try:
            report = camera.shoot(page, width=width, dark=dark)
            chromium_page = camera._page(dark)
            extra = chromium_page.evaluate(
                """() => ({
                  top: getComputedStyle(document.querySelector('.vc-top')).backgroundColor,
                  rules: Array.from(document.querySelectorAll('.vc-rule p'))
                    .map(p => getComputedStyle(p).borderTopColor),
                })"""
            )
        finally:
            camera.close()
    return report, extra


def _luminance(css: str) -> float:
    r, g, b = (int(float(n)) for n in re.findall(r"[\d.]+", css)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_mode_darkens_the_strip_and_dividers(
    config: Config, edition: Edition, cyber: Variant
) -> None:
    light, light_extra = _texts(config, edition, cyber, dark=False, width=375)
    dark, dark_extra = _texts(config, edition, cyber, dark=True, width=375)
    assert _luminance(light_extra["top"]) > 0.8 and _luminance(dark_extra["top"]) < 0.2
    assert dark_extra["rules"] and all(_luminance(c) < 0.35 for c in dark_extra["rules"])
    assert all(_luminance(c) > 0.8 for c in light_extra["rules"])
    # R14: no visible text below 14 px, in either scheme.
    for report in (light, dark):
        small = [t for t in report.texts if t["fontSize"] < 14]
        assert not small, small[:5]


def test_logos_have_an_opaque_plate_and_a_tight_canvas(config: Config) -> None:
    # What a client that darkens the email itself does to a transparent PNG: it shows
    # the dark background through. With an opaque plate nothing shows through except
    # the plate's rounded corners, and the canvas has no empty margin.
    with browser() as chromium:
        page = chromium.new_page()
        try:
            for brand in config.brands.values():
                path = config.resolve(brand.logo_path)
                data = path.read_bytes()
                stats = page.evaluate(
                    """async (bytes) => {
                      const blob = new Blob([new Uint8Array(bytes)], {type: 'image/png'});
                      const bitmap = await createImageBitmap(blob);
                      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
                      const ctx = canvas.getContext('2d');
                      ctx.drawImage(bitmap, 0, 0);
                      const {data, width, height} =
                        ctx.getImageData(0, 0, bitmap.width, bitmap.height);
                      const corner = 16;
                      let seeThrough = 0, rows = new Set(), cols = new Set();
                      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
                        const alpha = data[(y * width + x) * 4 + 3];
                        if (alpha > 0) { rows.add(y); cols.add(x); }
                        const inCorner = (x < corner || x >= width - corner)
                                      && (y < corner || y >= height - corner);
                        if (!inCorner && alpha < 255) seeThrough++;
                      }
                      return {width, height, seeThrough, rows: rows.size, cols: cols.size};
                    }""",
                    list(data),
                )
                assert stats["seeThrough"] == 0, (brand.name, stats)
                assert (stats["rows"], stats["cols"]) == (stats["height"], stats["width"])
        finally:
            page.close()
