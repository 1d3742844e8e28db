"""The archive in a real browser: the index, its logos, and a click through to an edition."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from varcomms.archive import build_archive
from varcomms.context import Context
from varcomms.render.screenshots import CHROMIUM, browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
    ),
]
ARTIFACTS = ROOT / "test-artifacts" / "archive"


def test_index_and_edition_page_open_from_disk(archive_ctx: Context, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_archive(archive_ctx, out)
    with browser() as chromium:
        for width in (1280, 375):
            context = chromium.new_context(viewport={"width": width, "height": 900})
            # Nothing leaves the machine: only the archive's own files may load.
            context.route(
                "**/*",
                lambda route: (
                    route.continue_() if route.request.url.startswith("file://") else route.abort()
                ),
            )
            page = context.new_page()
            page.goto((out / "index.html").as_uri())
            assert page.title().startswith("Archief van de nieuwsbrief")
            logos = page.eval_on_selector_all("header img", "imgs => imgs.map(i => i.naturalWidth)")
            assert len(logos) == 2 and all(w > 0 for w in logos), "both logos load locally"
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0
            page.screenshot(path=str(ARTIFACTS / f"index-{width}.png"), full_page=True)
            page.get_by_role("link", name="Nieuwsbrief 1 – februari 2022").first.click()
            page.wait_for_load_state()
            assert page.url.endswith("/2022-01/index.html")
            assert page.get_by_text("Alle nieuwsbrieven").is_visible()
            page.screenshot(path=str(ARTIFACTS / f"edition-{width}.png"), full_page=False)
            context.close()
