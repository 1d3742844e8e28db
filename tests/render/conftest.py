"""Fixtures of the render tests: the sample edition (as data) and configurations."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from varcomms.config import Config
from varcomms.models import Edition
from varcomms.render import Variant, variant_for

RENDER_FIXTURES = FIXTURES / "render"


def load_fixture_edition() -> Edition:
    data = json.loads((RENDER_FIXTURES / "edition.json").read_text(encoding="utf-8"))
    return Edition.model_validate(data)


@pytest.fixture
def edition() -> Edition:
    return load_fixture_edition()


@pytest.fixture
def config(sample_config: Config) -> Config:
    return sample_config


@pytest.fixture
def cyber(edition: Edition) -> Variant:
    return variant_for(edition, {"cybercriminaliteit"})


@pytest.fixture
def general(edition: Edition) -> Variant:
    return variant_for(edition, ())


@pytest.fixture
def project_templates(tmp_path: Path, sample_config: Config) -> tuple[Config, Path]:
    """A configuration whose templates/ folder is an empty temporary one (plus brand)."""
    folder = tmp_path / "templates"
    (folder / "partials").mkdir(parents=True)
    (folder / "email").mkdir()
    shutil.copytree(sample_config.templates_dir / "brand", folder / "brand")
    paths = sample_config.paths.model_copy(update={"templates": folder})
    return sample_config.model_copy(update={"paths": paths}), folder


def with_render_settings(config: Config, **changes: object) -> Config:
    return config.model_copy(update={"render": config.render.model_copy(update=changes)})
