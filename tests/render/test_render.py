"""What a rendered variant contains, checked structurally on the HTML and text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.render.conftest import with_render_settings
from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.models import PERSONAL_FIELDS, Edition, EditionItem, EditionSection
from varcomms.render import Variant, check_html, render_edition, render_variant


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.images: list[dict[str, str | None]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")
            self._text = []
        elif tag == "img":
            self.images.append(dict(attrs))

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._text).split())))
            self._href = None


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def test_sample_edition_passes_every_quality_check(
    config: Config, edition: Edition, cyber: Variant
) -> None:
    email = render_variant(config, edition, cyber)
    assert email.warnings == ()
    assert check_html(email.web_html, config.render, email=False) == []
    assert email.subject == edition.subject
    assert email.preheader == edition.preheader
    assert (email.edition_id, email.variant) == ("2022-02", "cyber")


def test_html_is_dutch_and_has_the_preheader_and_dark_mode_meta(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    assert re.search(r'<html lang="nl"', html)
    assert 'lang="und"' not in html
    assert re.search(r'<meta name="color-scheme" content="light dark" ?/?>', html)
    assert "prefers-color-scheme: dark" in html
    preheader = re.search(r'<div style="display:none;[^"]*">([^<]*)</div>', html)
    assert preheader is not None and preheader.group(1).startswith(edition.preheader)
    # R7: padded, so inbox previews do not run on into "Bekijk hem in uw browser".
    assert preheader.group(1).count("&zwnj;&nbsp;") >= 60
    assert "<mj-" not in html
    assert "fonts.googleapis.com" not in html


def test_both_logos_are_linked_with_alt_text(
    config: Config, edition: Edition, general: Variant
) -> None:
    page = _parse(render_variant(config, edition, general).html)
    for brand in config.brands.values():
        image = next(i for i in page.images if i["src"] == brand.logo_url)
        assert image["alt"] == brand.logo_alt
    hrefs = [href for href, _ in page.links]
    assert any(h.startswith("https://veiligheidsalliantie.nl/?utm_source=") for h in hrefs)
    assert any(h.startswith("https://www.riec.nl/rotterdam?utm_source=") for h in hrefs)


def test_themed_section_only_in_its_variant(
    config: Config, edition: Edition, general: Variant, cyber: Variant
) -> None:
    general_email = render_variant(config, edition, general)
    cyber_email = render_variant(config, edition, cyber)
    for part in ("HackShield", "Thema: Cybercriminaliteit"):
        assert part not in general_email.html and part not in general_email.text
        assert part in cyber_email.html and part in cyber_email.text


def test_personal_fields_are_placeholders_in_the_email_and_absent_on_the_web(
    config: Config, edition: Edition, general: Variant
) -> None:
    email = render_variant(config, edition, general)
    links = dict((text, href) for href, text in _parse(email.html).links)
    assert links["Afmelden"] == PERSONAL_FIELDS["unsubscribe_url"]
    assert links["Voorkeuren wijzigen"] == PERSONAL_FIELDS["preferences_url"]
    assert links["Bekijk in browser"] == PERSONAL_FIELDS["web_url"]
    assert f"Beste {PERSONAL_FIELDS['greeting_name']}," in email.html
    for placeholder in PERSONAL_FIELDS.values():
        assert placeholder in email.text
        assert placeholder not in email.web_html
    web_links = dict((text, href) for href, text in _parse(email.web_html).links)
    assert web_links["Afmelden"] == config.urls.unsubscribe_base
    assert "Bekijk in browser" not in web_links
    assert "Beste lezer," in email.web_html


def test_utm_on_content_links_never_on_reader_links(
    config: Config, edition: Edition, general: Variant
) -> None:
    links = _parse(render_variant(config, edition, general).html).links
    tagged = [href for href, _ in links if "utm_source=nieuwsbrief" in href]
    assert any("jaarverslag-2021-jaarplan-2022?utm_" in href for href in tagged)
    assert any("politie.nl/themas/babbeltrucs.html?utm_" in href for href in tagged)
    for href, text in links:
        if text in ("Afmelden", "Voorkeuren wijzigen", "Bekijk in browser", "Zet in agenda"):
            assert "utm_" not in href
    off = with_render_settings(config, utm_enabled=False)
    assert "utm_" not in render_variant(off, edition, general).html


def test_agenda_has_dutch_date_badges_and_calendar_links(
    config: Config, edition: Edition, general: Variant
) -> None:
    email = render_variant(config, edition, general)
    # R6: day and month in rows of their own, so classic Outlook (no display:block on
    # spans) does not run them together as "19mei".
    badge = re.search(
        r'<tr><td [^>]*font-size:26px[^>]*><span class="vc-badge-day"[^>]*>19</span></td></tr>\s*'
        r"<tr><td [^>]*font-size:14px[^>]*><span[^>]*>mei</span></td></tr>",
        email.html,
    )
    assert badge is not None
    assert "display:block;font-size" not in email.html
    assert "donderdag 19 mei 2022, 09:00 – 16:30 uur" in email.html
    ics = [href for href, text in _parse(email.html).links if text == "Zet in agenda"]
    assert ics == [
        "https://veiligheidsalliantie.nl/agenda/leerhuis-ondermijning.ics",
        "https://veiligheidsalliantie.nl/agenda/zorg-en-veiligheidsconferentie-2022.ics",
    ]
    assert "19 mei · Regionale Zorg- en Veiligheidsconferentie" in email.text
    assert "Zet in agenda: https://veiligheidsalliantie.nl/agenda/leerhuis-ondermijning.ics" in (
        email.text
    )


def test_riec_section_wears_the_riec_accent(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    accent = config.brands["riec"].accent_colour
    riec = html[html.index("Nieuws van het RIEC Rotterdam") - 2000 :]
    assert f"border-top:4px solid {accent}" in riec
    assert f'style="color:{accent};text-decoration:underline;">Lees meer</a>' in riec


def test_text_part_reads_on_its_own(config: Config, edition: Edition, general: Variant) -> None:
    text = render_variant(config, edition, general).text
    assert text.startswith("NIEUWSBRIEF FEBRUARI 2022\n")
    for heading in ("NIEUWS\n======", "AGENDA\n======", "CAMPAGNE\n========"):
        assert heading in text
    assert "<" not in text.replace("<", "", 0) or "<p>" not in text
    assert "&amp;" not in text
    assert max(len(line) for line in text.splitlines() if "http" not in line) <= 72


def test_editor_text_is_escaped(config: Config, edition: Edition, general: Variant) -> None:
    item = EditionItem(title="Fraude <script>alert(1)</script> & co", url="https://example.org/")
    news = EditionSection(slug="nieuws", title="Nieuws & meer", items=(item,))
    hostile = edition.model_copy(update={"sections": (news,)})
    email = render_variant(config, hostile, general)
    assert "<script>" not in email.html
    assert "Fraude &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in email.html
    assert "Nieuws &amp; meer" in email.html
    assert "Fraude <script>alert(1)</script> & co" in email.text  # text is not HTML


def test_special_edition_uses_its_own_template(
    config: Config, edition: Edition, general: Variant
) -> None:
    special = edition.model_copy(update={"kind": "special"})
    assert "Extra editie · Editie 2" in render_variant(config, special, general).html


def test_project_template_overrides_the_packaged_one(
    sample_config: Config,
    project_templates: tuple[Config, Path],
    edition: Edition,
    general: Variant,
) -> None:
    config, folder = project_templates
    assert "Verzonden door" in render_variant(sample_config, edition, general).html
    footer = (
        '<mj-section><mj-column><mj-text><p style="color:#1f2933;">Eigen voettekst. '
        '<a href="{{ urls.unsubscribe }}">Afmelden</a></p></mj-text></mj-column></mj-section>\n'
    )
    (folder / "partials" / "footer.mjml.j2").write_text(footer, encoding="utf-8")
    html = render_variant(config, edition, general).html
    assert "Eigen voettekst." in html and "Verzonden door" not in html


def test_edition_can_name_its_template(
    project_templates: tuple[Config, Path], edition: Edition, general: Variant
) -> None:
    config, folder = project_templates
    (folder / "email" / "zomer.mjml.j2").write_text(
        '{% extends "email/newsletter.mjml.j2" %}{% block intro %}'
        "<mj-section><mj-column><mj-text><p>Zomereditie</p></mj-text></mj-column></mj-section>"
        "{% endblock %}",
        encoding="utf-8",
    )
    html = render_variant(config, edition.model_copy(update={"template": "zomer"}), general).html
    assert "Zomereditie" in html


def test_unknown_variant_is_refused(config: Config, edition: Edition) -> None:
    with pytest.raises(InputError, match="no themed section 'privacy'"):
        render_variant(config, edition, Variant("privacy", frozenset({"privacy"})))


def test_render_edition_writes_three_files_per_variant(
    config: Config, edition: Edition, tmp_path: Path
) -> None:
    output = render_edition(config, edition, tmp_path / "out")
    assert output.ok
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "algemeen.html",
        "algemeen.txt",
        "algemeen.web.html",
        "cyber.html",
        "cyber.txt",
        "cyber.web.html",
    ]
    cyber = next(r for r in output.variants if r.variant.key == "cyber")
    assert cyber.html_path.read_text(encoding="utf-8") == cyber.email.html
    assert "HackShield" in cyber.text_path.read_text(encoding="utf-8")


def test_var_only_edition_has_one_logo_and_no_riec_section(
    config: Config, edition: Edition, general: Variant
) -> None:
    var_only = edition.model_copy(update={"brands": ("var",)})
    email = render_variant(config, var_only, general)
    assert config.brands["riec"].logo_url not in email.html
    assert config.brands["var"].logo_url in email.html
    assert "Nieuws van het RIEC Rotterdam" not in email.html
    assert "RIEC" not in email.text.split("----")[-1]  # the footer names only the VAR
    assert email.warnings == ()


def test_styles_are_inline_because_clients_drop_style_blocks(
    config: Config, edition: Edition, general: Variant
) -> None:
    html = render_variant(config, edition, general).html
    body = html[html.index("<body") :]
    for tag in re.findall(r"<(?:h1|h2|h3|p)\b[^>]*>", body):
        assert "style=" in tag, tag
    text_links = re.findall(r"<a\b[^>]*>(?!\s*<img)", body)
    assert len(text_links) > 10
    for tag in text_links:
        assert "color:" in tag, tag


def test_minimal_edition_renders_cleanly(config: Config) -> None:
    bare = Edition(id="2022-03", number=3, title="Kort bericht", subject="s", preheader="p")
    email = render_variant(config, bare, Variant("algemeen"))
    assert email.warnings == ()
    assert "Kort bericht" in email.html
    assert "Editie 3\n" in email.text  # no planned date: no month
    assert "AGENDA" not in email.text
