"""The live preview: a real HTTP server on loopback, re-rendering on file changes."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.render.conftest import RENDER_FIXTURES
from varcomms.config import Config
from varcomms.models import Edition
from varcomms.render.preview import PreviewServer, PreviewState


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def _touch(path: Path, text: str) -> None:
    """Write and move the mtime forward, so the change shows without waiting."""
    before = path.stat().st_mtime if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, (before + 10, before + 10))


@pytest.fixture
def preview(
    project_templates: tuple[Config, Path], tmp_path: Path
) -> Iterator[tuple[PreviewServer, Path, Path]]:
    config, templates = project_templates
    folder = tmp_path / "newsletters" / "2022-02"
    folder.mkdir(parents=True)
    source = folder / "edition.json"
    source.write_text((RENDER_FIXTURES / "edition.json").read_text(encoding="utf-8"))

    def load() -> Edition:
        return Edition.model_validate(json.loads(source.read_text(encoding="utf-8")))

    state = PreviewState(config=config, load=load, watch=(folder, templates))
    server = PreviewServer(state, port=0)
    server.start(watch=False)  # the test calls refresh_if_changed() itself
    yield server, source, templates
    server.stop()


def test_serves_variants_with_local_logos_and_sample_values(preview) -> None:
    server, _, _ = preview
    index = _get(server.url)
    assert 'href="/algemeen"' in index and 'href="/cyber"' in index
    page = _get(server.url + "cyber")
    assert "Beste lezer," in page
    assert "%%VARCOMMS_" not in page
    assert page.count("data:image/png;base64,") >= 2  # both logos, from templates/brand
    assert "/__version" in page  # the reload script, only in the preview
    assert "HackShield" in page
    assert "HackShield" not in _get(server.url + "algemeen")
    assert _get(server.url + "cyber.txt").startswith("NIEUWSBRIEF FEBRUARI 2022")
    assert "Bekijk in browser" not in _get(server.url + "cyber.web")


def test_rerenders_when_the_edition_or_a_template_changes(preview) -> None:
    server, source, templates = preview
    state = server.state
    version = int(_get(server.url + "__version"))
    assert state.refresh_if_changed() is False

    data = json.loads(source.read_text(encoding="utf-8"))
    data["title"] = "Nieuwsbrief maart 2022"
    _touch(source, json.dumps(data))
    assert state.refresh_if_changed() is True
    assert int(_get(server.url + "__version")) == version + 1
    assert "Nieuwsbrief maart 2022" in _get(server.url + "algemeen")

    # A new override in templates/ shows at once.
    footer = (
        '<mj-section><mj-column><mj-text><p style="color:#1f2933;">Eigen voet. '
        '<a href="{{ urls.unsubscribe }}">Afmelden</a></p></mj-text></mj-column></mj-section>'
    )
    _touch(templates / "partials" / "footer.mjml.j2", footer)
    assert state.refresh_if_changed() is True
    assert "Eigen voet." in _get(server.url + "algemeen")


def test_an_error_is_shown_in_the_page_and_recovers(preview) -> None:
    server, _, templates = preview
    broken = templates / "partials" / "intro.mjml.j2"
    _touch(broken, "<mj-section>\n<mj-column>\n<mj-foo></mj-foo>\n</mj-column>\n</mj-section>\n")
    assert server.state.refresh_if_changed() is True
    page = _get(server.url + "algemeen")
    assert "Renderen mislukt" in page
    assert "intro.mjml.j2:3" in page and "mj-foo" in page
    broken.unlink()
    assert server.state.refresh_if_changed() is True
    assert "Renderen mislukt" not in _get(server.url + "algemeen")
