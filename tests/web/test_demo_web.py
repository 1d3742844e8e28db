"""`varcomms demo` ends with one reader's preference-centre link; `serve --demo` answers it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import ROOT
from varcomms.config import Secrets, load_config
from varcomms.demo import SERVE_ADDRESS, demo_context, run_demo
from varcomms.web import create_app


def test_the_demo_link_opens_that_readers_preference_centre(tmp_path: Path) -> None:
    config = load_config(ROOT / "varcomms.toml")
    report = run_demo(config, tmp_path / "demo", secrets=Secrets({}))
    assert report.preferences_url is not None
    assert report.preferences_url.startswith(f"{SERVE_ADDRESS}/voorkeuren/")
    ctx = demo_context(config, tmp_path / "demo", secrets=Secrets({}))
    try:
        client = create_app(context=ctx, secure_cookies=False).test_client()
        page = client.get(urlsplit(report.preferences_url).path)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Mijn voorkeuren" in html and "@" in html.split("E-mailadres</dt><dd>")[1][:80]
    finally:
        ctx.close()
