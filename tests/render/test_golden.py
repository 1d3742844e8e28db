"""Golden files of the sample edition: normalised HTML and text of every variant.

Regenerate after an intended change with ``VARCOMMS_UPDATE_GOLDEN=1 uv run pytest
tests/render/test_golden.py`` and review the diff in git.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.render.conftest import RENDER_FIXTURES
from varcomms.config import Config
from varcomms.models import Edition
from varcomms.render import render_variant, variants_of

GOLDEN = RENDER_FIXTURES / "golden"
UPDATE = os.environ.get("VARCOMMS_UPDATE_GOLDEN") == "1"


def normalise_html(html: str) -> str:
    """One tag per line, so a diff points at the element that changed."""
    return re.sub(r">\s*<", ">\n<", html.strip()) + "\n"


def _compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path} missing; run with VARCOMMS_UPDATE_GOLDEN=1 to create it")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


@pytest.mark.parametrize("key", ["algemeen", "cyber"])
def test_sample_edition_matches_golden_files(config: Config, edition: Edition, key: str) -> None:
    variant = next(v for v in variants_of(edition) if v.key == key)
    email = render_variant(config, edition, variant)
    _compare(f"{key}.html", normalise_html(email.html))
    _compare(f"{key}.txt", email.text)
    _compare(f"{key}.web.html", normalise_html(email.web_html))


# -- the real sample edition, as editors see it in newsletters/2022-01/ -------------------

SAMPLE_ID = "2022-01"
SAMPLE_VARIANTS = ["algemeen", "thema-verward-gedrag"]


@pytest.fixture
def sample_edition(config: Config) -> Edition:
    from varcomms.editions import load_edition

    return load_edition(config, SAMPLE_ID)


def test_sample_edition_has_the_expected_variants(sample_edition: Edition) -> None:
    assert [variant.key for variant in variants_of(sample_edition)] == SAMPLE_VARIANTS


@pytest.mark.parametrize("key", SAMPLE_VARIANTS)
def test_real_sample_edition_matches_golden_files(
    config: Config, sample_edition: Edition, key: str
) -> None:
    variant = next(v for v in variants_of(sample_edition) if v.key == key)
    email = render_variant(config, sample_edition, variant)
    assert not [w for w in email.warnings if w.startswith("error")], email.warnings
    _compare(f"{SAMPLE_ID}/{key}.html", normalise_html(email.html))
    _compare(f"{SAMPLE_ID}/{key}.txt", email.text)
    _compare(f"{SAMPLE_ID}/{key}.web.html", normalise_html(email.web_html))
