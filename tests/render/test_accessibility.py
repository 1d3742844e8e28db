"""Link names, attributes mjml-python drops, and classic Outlook's nested tables (R1, R2, R6)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from mjml import mjml2html

from tests.render.conftest import Project
from varcomms.config import Config
from varcomms.models import Edition
from varcomms.render import Variant, render_variant
from varcomms.render.checks import GENERIC_LINK_TEXTS
from varcomms.render.environment import PACKAGED_TEMPLATES
from varcomms.render.mjml_check import DROPPED_ATTRIBUTES, check_mjml


class _Links(HTMLParser):
    """Each link's accessible name as a screen reader computes it (aria-label first)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self._open: list[tuple[str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open.append((dict(attrs).get("aria-label"), []))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open:
            label, text = self._open.pop()
            self.names.append(" ".join((label or "".join(text)).split()))


def link_names(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.names


@pytest.mark.parametrize("key", ["algemeen", "cyber"])
def test_no_three_links_share_a_generic_name(
    config: Config, edition: Edition, key: str, general: Variant, cyber: Variant
) -> None:
    email = render_variant(config, edition, general if key == "algemeen" else cyber)
    names = link_names(email.html)
    generic = [name for name in names if name.lower().strip(" .:→") in GENERIC_LINK_TEXTS]
    assert all(generic.count(name) < 3 for name in generic), generic
    # Each "Lees meer" names its item.
    titles = {item.title for section in edition.sections for item in section.items}
    read_more = [name for name in names if name.startswith("Lees meer: ")]
    assert read_more and {name.removeprefix("Lees meer: ") for name in read_more} <= titles | {
        item.title for item in (edition.riec.items if edition.riec else ())
    }
    assert not any("link-purpose" in warning for warning in email.warnings)


def test_the_dropped_attribute_list_matches_mjml_python() -> None:
    # If mjml-python starts keeping one of these, the list (and its check) must shrink.
    for tag, names in DROPPED_ATTRIBUTES.items():
        extra = " ".join(f'{name}="kept-{name}"' for name in names)
        inner = "x" if tag == "mj-button" else ""
        src = ' src="https://x.nl/a.png" alt="a"' if tag == "mj-image" else ""
        document = (
            '<mjml lang="nl"><mj-body><mj-section><mj-column>'
            f'<{tag} href="https://x.nl/"{src} {extra}>{inner}</{tag}>'
            "</mj-column></mj-section></mj-body></mjml>"
        )
        html = mjml2html(document)
        for name in names:
            assert f"kept-{name}" not in html, f"mjml-python now keeps {name} on <{tag}>"
        problems = check_mjml(document)
        assert {p.message for p in problems} == {
            f"<{tag} {name}=…>: mjml-python drops this attribute" for name in names
        }


def test_a_button_title_in_an_override_is_an_error_naming_the_template_line(
    project: Project,
) -> None:
    card = project.templates / "partials" / "news_card.mjml.j2"
    card.parent.mkdir(parents=True)
    card.write_text(
        '        <mj-text padding="0px"><h3>{{ item.title }}</h3></mj-text>\n'
        '        <mj-button href="{{ item.url }}" title="Lees meer: {{ item.title }}">'
        "Lees meer</mj-button>\n",
        encoding="utf-8",
    )
    result = project.run("render", "2022-01")
    assert result.returncode == 2, result  # a broken template is input to fix (exit 2)
    output = " ".join((result.stdout + result.stderr).split())
    assert "news_card.mjml.j2:2" in output
    assert "<mj-button title=…>: mjml-python drops this attribute" in output


class _HandWrittenCells(HTMLParser):
    """The cells of the tables the templates write by hand (not MJML's): their start tag
    begins ``<table role="presentation" cellpadding`` or ``… class="vc-badge"``."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # open hand-written tables
        self.cells: list[tuple[str, str]] = []  # (style, first content)
        self._cell: list[str] | None = None
        self._style = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raw = self.get_starttag_text() or ""
        if tag == "table":
            if raw.startswith(
                (
                    '<table role="presentation" cellpadding',
                    '<table role="presentation" class="vc-badge"',
                )
            ):
                self.depth += 1
            if self._cell is not None and not self._cell:
                self._cell = None  # a cell that only wraps a table: its table carries the font
        elif tag == "td" and self.depth:
            self._style = dict(attrs).get("style") or ""
            self._cell = []
        elif self._cell is not None:
            self._cell.append(tag)

    def handle_data(self, data: str) -> None:
        if self._cell is not None and data.strip():
            self._cell.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append((self._style, " ".join(self._cell)[:60]))
            self._cell = None
        elif tag == "table" and self.depth:
            self.depth -= 1


def test_hand_written_table_cells_carry_their_font_for_outlook(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    parser = _HandWrittenCells()
    parser.feed(html)
    assert edition.agenda is not None
    # Per event: badge day, badge month, text; plus the RIEC heading's two cells.
    assert len(parser.cells) == 3 * len(edition.agenda.items) + 2, parser.cells
    for style, content in parser.cells:
        for prop in ("font-family:", "font-size:", "line-height:", "color:"):
            assert prop in style, (prop, style, content)
    # Headings carry the font too: Outlook does not pass the column's font to them.
    for heading in re.findall(r"<h[1-3] style=\"([^\"]*)\"", html):
        assert "font-family:'Segoe UI'" in heading


def test_the_riec_heading_cell_and_logo_are_styled(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    riec = html[html.index("Nieuws van het RIEC Rotterdam") - 600 :]
    cell = re.search(r'<td valign="middle" style="([^"]*)">\s*<h2', riec)
    assert cell and "font-family:" in cell.group(1) and "font-size:16px" in cell.group(1)


def test_alt_text_is_styled_for_readers_who_block_images(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    for tag in re.findall(r"<img\b[^>]*>", html):
        style = re.search(r'style="([^"]*)"', tag)
        assert style and "font-size:14px" in style.group(1), tag


def test_no_text_smaller_than_14px(config: Config, edition: Edition, general: Variant) -> None:
    # Sizes set in the templates (layout tricks of 0 and 1 px carry no text).
    for name in PACKAGED_TEMPLATES.rglob("*.mjml.j2"):
        for size in re.findall(r"font-size(?:=\"|:)\s*(\d+)px", name.read_text()):
            assert int(size) >= 14, (name.name, size)
