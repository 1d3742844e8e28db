"""Review before sign-off: content lint and render's quality checks together."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import ROOT
from varcomms.clock import FakeClock
from varcomms.config import load_config
from varcomms.context import Context
from varcomms.editions import load_edition, read_folder
from varcomms.errors import StateError
from varcomms.models import EditionStatus
from varcomms.render import render_variant, variants_of
from varcomms.render.lint import lint_rendered, representative_variants
from varcomms.review import approve, lint_edition

SAMPLE = ROOT / "newsletters" / "2022-01"
INTRO = ROOT / "src/varcomms/render/templates/partials/intro.mjml.j2"
# Before the planned send time of the sample edition (2022-02-01 09:00).
JANUARY = datetime(2022, 1, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder: the repository's varcomms.toml and a copy of the sample edition."""
    shutil.copy(ROOT / "varcomms.toml", tmp_path / "varcomms.toml")
    shutil.copytree(SAMPLE, tmp_path / "newsletters" / "2022-01")
    return tmp_path


def context(project: Path, **render: int) -> Context:
    config = load_config(project / "varcomms.toml")
    if render:
        config = config.model_copy(update={"render": config.render.model_copy(update=render)})
    return Context(config=config, clock=FakeClock(JANUARY), console=Console(file=StringIO()))


def override_intro(project: Path, old: str, new: str) -> None:
    """A project template that replaces the packaged voorwoord partial."""
    source = INTRO.read_text(encoding="utf-8")
    assert old in source
    target = project / "templates" / "partials" / "intro.mjml.j2"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source.replace(old, new), encoding="utf-8")


PALE_GREETING = ('style="{{ s.p }}"', 'style="color:#b4b4b4;"')


def test_sample_edition_passes_content_and_render_checks(project: Path) -> None:
    report = lint_edition(context(project), "2022-01")
    assert report.ok, report.errors
    assert not [f for f in report.findings if f.code.startswith("render-")]


def test_representative_variants_cover_every_theme_and_the_largest() -> None:
    config = load_config(ROOT / "varcomms.toml")
    edition = load_edition(config, "2022-01")
    keys = [variant.key for variant in representative_variants(edition)]
    assert keys == ["algemeen", "thema-verward-gedrag"]
    assert set(keys) == {variant.key for variant in variants_of(edition)}


def test_representative_variants_stay_bounded_with_many_themes() -> None:
    from tests.render.conftest import load_fixture_edition

    edition = load_fixture_edition()
    (themed,) = edition.themed_sections
    themes = ["ondermijning", "mensenhandel", "privacy", "monitoring"]
    extra = tuple(
        themed.model_copy(update={"slug": f"thema-{theme}", "theme": theme}) for theme in themes
    )
    edition = edition.model_copy(update={"sections": edition.sections + extra})
    assert len(variants_of(edition)) == 2**5
    keys = [variant.key for variant in representative_variants(edition)]
    # General, one per theme, and all five together: 7 of the 32.
    assert len(keys) == 7 and keys[0] == "algemeen"
    assert keys[-1] == "+".join(sorted(["cyber", *(f"thema-{theme}" for theme in themes)]))


def test_render_error_in_every_variant_is_reported_once(project: Path) -> None:
    override_intro(project, *PALE_GREETING)
    report = lint_edition(context(project), "2022-01")
    assert not report.ok
    (contrast,) = [f for f in report.findings if f.code == "render-contrast"]
    assert contrast.severity == "error"
    assert "#b4b4b4 on #ffffff" in contrast.message
    assert contrast.message.endswith("(every variant)")


def test_a_finding_names_the_variant_it_occurs_in(project: Path) -> None:
    # A size limit between the general email and the larger themed one: only the
    # themed variant is too big.
    ctx = context(project)
    edition = load_edition(ctx.config, "2022-01")
    sizes = {
        v.key: len(render_variant(ctx.config, edition, v).html.encode())
        for v in variants_of(edition)
    }
    assert sizes["algemeen"] < sizes["thema-verward-gedrag"]
    limit = (sizes["algemeen"] + sizes["thema-verward-gedrag"]) // 2
    report = lint_edition(context(project, max_html_bytes=limit, warn_html_bytes=limit), "2022-01")
    (size,) = [f for f in report.findings if f.code == "render-size"]
    assert size.severity == "error"
    assert size.message.endswith("(variant thema-verward-gedrag)")
    assert "Gmail clips" in size.message


def test_template_error_names_the_template_and_line(project: Path) -> None:
    override_intro(project, "<mj-column>", "<mj-column>\n{% if %}")
    report = lint_edition(context(project), "2022-01")
    (broken,) = [f for f in report.findings if f.code == "render-template"]
    assert (broken.severity, broken.file, broken.line) == ("error", "partials/intro.mjml.j2", 3)
    assert broken.message.endswith("(every variant)")


def test_render_error_blocks_the_signoff(project: Path) -> None:
    override_intro(project, *PALE_GREETING)
    ctx = context(project)
    with pytest.raises(StateError, match=r"lint error\(s\) block the sign-off.*#b4b4b4"):
        approve(ctx, "2022-01", "var", "Astrid")
    doc = read_folder(ctx.config, "2022-01")
    assert doc.meta.status is EditionStatus.DRAFT and doc.meta.signoffs == []


def test_warnings_do_not_block_the_signoff(project: Path) -> None:
    # Every variant is above the warning size but below the clipping limit.
    ctx = context(project, warn_html_bytes=1024)
    assert any(f.code == "render-size" for f in lint_edition(ctx, "2022-01").warnings)
    approve(ctx, "2022-01", "riec", "Anouk")
    result = approve(ctx, "2022-01", "var", "Astrid")
    assert result.approved


def test_lint_rendered_sorts_errors_first(project: Path) -> None:
    override_intro(project, *PALE_GREETING)
    config = context(project, warn_html_bytes=1024).config
    findings = lint_rendered(config, load_edition(config, "2022-01"))
    levels = [finding.severity for finding in findings]
    assert levels == sorted(levels, key=lambda level: level != "error")
    assert {"error", "warning"} <= set(levels)
    assert json.dumps([finding.to_dict() for finding in findings])


def run(cli, project: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli("--config", str(project / "varcomms.toml"), *args)


def test_cli_lint_shows_render_findings(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    override_intro(project, *PALE_GREETING)
    table = run(cli, project, "edition", "lint", "2022-01")
    assert table.code == 1
    assert "render-contrast" in table.stdout and "every variant" in table.stdout
    assert "not ready for sign-off" in table.stdout
    as_json = run(cli, project, "edition", "lint", "2022-01", "--json")
    assert as_json.code == 1
    findings = json.loads(as_json.stdout)["findings"]
    (contrast,) = [f for f in findings if f["code"] == "render-contrast"]
    assert contrast["severity"] == "error" and "#b4b4b4" in contrast["message"]


def test_cli_approve_refused_on_render_error(cli, project: Path) -> None:  # type: ignore[no-untyped-def]
    override_intro(project, *PALE_GREETING)
    refused = run(cli, project, "edition", "approve", "2022-01", "--as", "var", "--by", "Astrid")
    assert refused.code == 1
    assert "block the sign-off" in refused.stderr and "#b4b4b4" in refused.stderr
    (project / "templates" / "partials" / "intro.mjml.j2").unlink()
    signed = run(cli, project, "edition", "approve", "2022-01", "--as", "var", "--by", "Astrid")
    assert signed.code == 0, signed
    assert "waiting for the RIEC sign-off" in signed.stdout
