"""What a reader meets first: inbox line, contents list, voorwoord, footer (R5, R7, R15, U7)."""

from __future__ import annotations

import re

from tests.render.conftest import Project
from varcomms.config import Config
from varcomms.models import Edition
from varcomms.render import Variant, render_variant


def test_contents_list_under_the_header_names_the_sections_in_order(
    config: Config, edition: Edition, cyber: Variant
) -> None:
    email = render_variant(config, edition, cyber)
    found = re.search(r"In deze nieuwsbrief:</strong> ([^<]*)</p>", email.html)
    assert found is not None
    titles = [section.title for section in edition.sections]
    expected = [*titles, "Agenda", "Campagne", "Nieuws van het RIEC Rotterdam"]
    assert found.group(1).split(" · ") == expected
    # It comes before the voorwoord, and the text part has it too.
    assert email.html.index("In deze nieuwsbrief:") < email.html.index("Beste ")
    assert "In deze nieuwsbrief: " + expected[0] in email.text


def test_a_long_voorwoord_is_a_lint_warning(project: Project) -> None:
    intro = project.edition() / "intro.md"
    intro.write_text("Een heel lange inleiding. " * 30, encoding="utf-8")
    result = project.run("edition", "lint", "2022-01")
    assert result.returncode == 0, result
    assert re.search(r"warning\s.*intro\.md\s.*intro-length\s.*the voorwoord is 779", result.stdout)


def test_a_missing_preheader_is_one_warning_and_does_not_block_approval(
    project: Project,
) -> None:
    yaml = project.edition() / "edition.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(re.sub(r"(?m)^preheader: .*$", "preheader: ''", text), encoding="utf-8")
    lint = project.run("edition", "lint", "2022-01")
    assert lint.returncode == 0, lint
    assert lint.stdout.count("preheader-missing") == 1, lint.stdout
    assert "render-preheader" not in lint.stdout
    assert re.search(r"warning\s.*preheader-missing", lint.stdout)
    approve = project.run("edition", "approve", "2022-01", "--as", "var", "--by", "Redactie")
    assert approve.returncode == 0, approve


def test_the_footer_carries_the_postal_address(
    config: Config, edition: Edition, general: Variant
) -> None:
    address = config.sender.postal_address
    assert address  # the sample configuration has one
    email = render_variant(config, edition, general)
    assert f"Verzonden door {config.sender.from_name}, {address}" in email.html
    assert address in email.text and address in email.web_html


def test_lint_warns_when_no_postal_address_is_configured(project: Project) -> None:
    toml = project.root / "varcomms.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(re.sub(r"(?m)^postal_address = .*\n", "", text), encoding="utf-8")
    result = project.run("edition", "lint", "2022-01")
    assert result.returncode == 0, result
    assert "postal-address" in result.stdout


def test_dark_mode_rules_cover_the_strip_and_the_dividers(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    dark = html[html.index("prefers-color-scheme: dark") :]
    dark = dark[: dark.index("</style>")]
    assert ".vc-top td { background-color: #0f1720 !important; }" in dark
    assert ".vc-rule p { border-top-color:" in dark
    assert 'class="vc-top"' in html and 'class="vc-rule"' in html
    # Outlook.com's own dark mode: paragraphs and links too, not only divs and headings.
    assert "[data-ogsc] .vc-paper p" in html and "[data-ogsc] .vc-paper a" in html


def test_ios_does_not_reformat_or_autolink(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    assert '<meta name="x-apple-disable-message-reformatting"' in html
    assert '<meta name="format-detection" content="telephone=no' in html
