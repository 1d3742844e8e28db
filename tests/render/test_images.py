"""Images from feeds and editors' Markdown stay inside the column, and show once (U2).

The browser half (the layout Chromium computes) is in test_layout.py.
"""

from __future__ import annotations

import re

import pytest

from tests.render.conftest import Project
from varcomms.config import Config
from varcomms.models import Edition, EditionItem, EditionSection
from varcomms.render import Variant, render_variant
from varcomms.render.images import COLUMN_WIDTH, fit_images, same_image, without_image
from varcomms.sanitize import sanitize_html

PHOTO = "https://veiligheidsalliantie.nl/wp-content/uploads/2022/01/leerhuis-cyber.jpg"
_IMG = re.compile(r"<img\b[^>]*>")


def _attr(tag: str, name: str) -> str | None:
    match = re.search(rf'\s{name}="([^"]*)"', tag)
    return match.group(1) if match else None


@pytest.mark.parametrize(
    ("feed_html", "width", "height"),
    [
        # WordPress's full-size image in a 552 px column: capped, height scaled along.
        (f'<p><img src="{PHOTO}" alt="Sprekers" width="600" height="338"></p>', 552, 311),
        # CSS units and percentages in feed attributes: pixels kept, the rest dropped.
        (f'<img src="{PHOTO}" alt="x" width="1200px" height="800px">', 552, 368),
        (f'<img src="{PHOTO}" alt="x" width="100%" height="auto">', 552, None),
        # No size at all (a 1,100 px photo for all we know): the column width for Outlook.
        (f'<figure><img src="{PHOTO}" alt="x"><figcaption>Foto</figcaption></figure>', 552, None),
        # A small picture keeps its size.
        (f'<img src="{PHOTO}" alt="x" width="150" height="150">', 150, 150),
    ],
)
def test_feed_images_fit_the_column(feed_html: str, width: int, height: int | None) -> None:
    html = fit_images(sanitize_html(feed_html, base_url="https://veiligheidsalliantie.nl/"))
    (tag,) = _IMG.findall(html)
    assert _attr(tag, "width") == str(width)
    assert _attr(tag, "height") == (str(height) if height else None)
    style = _attr(tag, "style") or ""
    assert "max-width:100%" in style and "height:auto" in style
    # Readable when images are blocked (Outlook's default for new senders).
    assert "font-family:" in style and "font-size:14px" in style and "color:" in style
    # A <figure> keeps no 40 px browser margins that would push the image out.
    if "<figure" in html:
        assert '<figure style="margin:0 0 12px 0;">' in html


def test_images_beside_the_agenda_badge_get_the_narrower_column(
    config: Config, edition: Edition, general: Variant
) -> None:
    assert edition.agenda is not None
    first = edition.agenda.items[0]
    wide = f'<p>Programma</p><p><img src="{PHOTO}" alt="Zaal" width="600" height="300"></p>'
    agenda = edition.agenda.model_copy(
        update={"items": (first.model_copy(update={"summary_html": wide}),)}
    )
    html = render_variant(config, edition.model_copy(update={"agenda": agenda}), general).html
    (tag,) = [t for t in _IMG.findall(html) if PHOTO in t]
    assert _attr(tag, "width") == str(COLUMN_WIDTH - 68)
    assert _attr(tag, "height") == str(round(300 * (COLUMN_WIDTH - 68) / 600))


def test_an_image_repeated_in_the_body_is_shown_once(
    config: Config, edition: Edition, general: Variant
) -> None:
    # The feed's lead image is the item's image *and* the first thing in its body (a
    # WordPress size variant of it, even), as the sample feed has it.
    body = (
        '<figure><img src="https://veiligheidsalliantie.nl/wp-content/uploads/2022/01/'
        'leerhuis-cyber-300x169.jpg" alt="Sprekers"><figcaption>Het Leerhuis</figcaption>'
        "</figure><p>Aan het digitale Leerhuis Cyber namen 60 mensen deel.</p>"
    )
    item = EditionItem(
        title="Terugblik: Leerhuis Cyber",
        url="https://veiligheidsalliantie.nl/nieuws/leerhuis-cyber",
        summary_html=body,
        image_url=PHOTO,
        image_alt="Sprekers tijdens het Leerhuis Cyber",
    )
    news = EditionSection(slug="nieuws", title="Nieuws", items=(item,))
    email = render_variant(config, edition.model_copy(update={"sections": (news,)}), general)
    assert len([tag for tag in _IMG.findall(email.html) if "leerhuis-cyber" in tag]) == 1
    assert "Het Leerhuis" not in email.html and "Het Leerhuis" not in email.text
    assert "namen 60 mensen deel" in email.html


def test_other_images_in_the_body_stay() -> None:
    body = f'<p><a href="https://x.nl/"><img src="{PHOTO}" alt="a"></a></p><p>Tekst</p>'
    assert without_image(body, "https://veiligheidsalliantie.nl/ander.jpg") == body
    assert without_image(body, PHOTO) == "<p>Tekst</p>"
    assert same_image(PHOTO, PHOTO.replace("https://", "http://www.") + "?ver=2")
    assert not same_image(PHOTO, PHOTO.replace("cyber", "cyber-2"))


def test_a_too_wide_image_in_a_template_fails_render_without_a_browser(
    project: Project,
) -> None:
    # An editor's own partial with a banner at its natural width: caught statically.
    intro = project.templates / "partials" / "intro.mjml.j2"
    intro.parent.mkdir(parents=True, exist_ok=True)
    intro.write_text(
        '    <mj-section css-class="vc-paper" padding="28px 24px 4px 24px">\n'
        "      <mj-column>\n"
        "        <mj-text>\n"
        '          <p><img src="https://veiligheidsalliantie.nl/banner.png" alt="Banner"'
        ' width="640"></p>\n'
        '          <p style="{{ s.p }}">Beste {{ greeting_name }},</p>\n'
        "          {{ intro_html }}\n"
        "        </mj-text>\n"
        "      </mj-column>\n"
        "    </mj-section>\n",
        encoding="utf-8",
    )
    result = project.run("render", "2022-01", "--out", str(project.root / "out"))
    assert result.returncode == 1, result
    assert 'image-width] image https://veiligheidsalliantie.nl/banner.png has width="640"' in (
        result.stdout
    )
    lint = project.run("edition", "lint", "2022-01")
    assert lint.returncode == 1 and "render-image-width" in lint.stdout, lint
