"""Fixtures of the render tests: the sample edition (as data) and configurations."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
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


# -- a project folder and the CLI as a subprocess, the way an editor meets them ---------

SIGNING_KEY = "render-tests-signing-key-0123456789abcdef0123456789"


@dataclass(frozen=True)
class Project:
    """A copy of the repository's project files (config, sample edition, templates,
    samples, audiences) in a temporary folder, with its own data folder."""

    root: Path

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    def edition(self, edition_id: str = "2022-01") -> Path:
        return self.root / "newsletters" / edition_id

    def run(
        self, *args: str, check: bool = False, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``varcomms ARGS`` in a child process, in the project folder."""
        env = {
            **os.environ,
            "VARCOMMS_SIGNING_KEY": SIGNING_KEY,
            "COLUMNS": "200",
            "NO_COLOR": "1",
            **(env or {}),
        }
        result = subprocess.run(
            [sys.executable, "-m", "varcomms", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "varcomms.toml", root / "varcomms.toml")
    for folder in ("templates", "samples", "audiences"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copytree(ROOT / "newsletters" / "2022-01", root / "newsletters" / "2022-01")
    return Project(root)
