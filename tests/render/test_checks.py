"""Each quality rule: passes on a good document, fails on a crafted bad one."""

from __future__ import annotations

import pytest

from varcomms.config import Config, RenderSettings
from varcomms.models import Edition
from varcomms.render import Finding, Variant, check_html, render_variant
from varcomms.render.checks import check_text

SETTINGS = RenderSettings()

GOOD = """<!doctype html><html lang="nl"><head><title>t</title>
<meta name="color-scheme" content="light dark">
<style>@media (prefers-color-scheme: dark) { .x { color: #fff; } }</style>
<!--[if mso | IE]><table role="presentation"><tr><td><![endif]-->
</head><body style="background-color:#eef2f6;">
<div style="display:none;font-size:1px;color:#ffffff;max-height:0px;">Het voorwoord</div>
<table role="presentation" style="background-color:#ffffff;"><tr><td style="color:#1f2933;">
<h1>Nieuwsbrief</h1><h2>Nieuws</h2><h3>Bericht</h3>
<p>Tekst met een <a href="https://veiligheidsalliantie.nl/a"
 style="color:#004b87;text-decoration:underline;">link</a>.</p>
<a href="https://veiligheidsalliantie.nl/">
<img src="https://veiligheidsalliantie.nl/logo.png" alt="VAR"></a>
<img src="https://veiligheidsalliantie.nl/lijn.png" alt="">
<a href="%%VARCOMMS_UNSUBSCRIBE_URL%%" style="color:#1f2933;">Afmelden</a>
<a href="%%VARCOMMS_PREFERENCES_URL%%" style="color:#1f2933;">Voorkeuren</a>
<img src="https://veiligheidsalliantie.nl/foto.jpg" alt="Foto" width="552">
<a href="https://veiligheidsalliantie.nl/1" style="color:#1f2933;">Lees meer</a>
<a href="https://veiligheidsalliantie.nl/2" style="color:#1f2933;">Lees meer</a>
<a href="https://veiligheidsalliantie.nl/3" aria-label="Lees meer: het derde bericht"
 style="color:#1f2933;">Lees meer</a>
<a href="mailto:a@b.nl">a@b.nl</a>
<table><tr><th>Jaar</th></tr><tr><td>2022</td></tr></table>
</td></tr></table></body></html>"""


def rules(html: str, settings: RenderSettings = SETTINGS) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = {}
    for finding in check_html(html, settings):
        found.setdefault(finding.code, []).append(finding)
    return found


def test_the_good_document_passes() -> None:
    assert check_html(GOOD, SETTINGS) == []


def test_rendered_sample_passes(config: Config, edition: Edition, cyber: Variant) -> None:
    assert check_html(render_variant(config, edition, cyber).html, config.render) == []


@pytest.mark.parametrize(
    ("change", "rule", "level"),
    [
        (('lang="nl"', 'lang="en"'), "lang", "error"),
        ((' lang="nl"', ""), "lang", "error"),
        (('<table role="presentation" style', "<table style"), "table-role", "error"),
        (
            ('<table role="presentation"><tr><td><![endif]', "<table><tr><td><![endif]"),
            "table-role",
            "error",
        ),
        (("<h1>Nieuwsbrief</h1>", ""), "headings", "error"),
        (("<h3>Bericht</h3>", "<h4>Bericht</h4>"), "headings", "error"),
        (("<h2>Nieuws</h2>", "<h2> </h2>"), "headings", "error"),
        (("<h2>Nieuws</h2>", "<h1>Nog een</h1><h2>Nieuws</h2>"), "headings", "warning"),
        ((' alt="VAR"', ""), "alt-text", "error"),
        ((' alt="VAR"', ' alt=""'), "link-name", "error"),
        (('color:#1f2933;">', 'color:#9aa5b1;">'), "contrast", "error"),
        (('<meta name="color-scheme" content="light dark">', ""), "dark-mode", "error"),
        (("prefers-color-scheme: dark", "min-width: 10px"), "dark-mode", "warning"),
        (
            (
                "<title>t</title>",
                '<title>t</title><link rel="stylesheet" href="https://x.nl/a.css">',
            ),
            "external-css",
            "error",
        ),
        (("<style>", "<style>@import url(https://x.nl/a.css);"), "external-css", "error"),
        (("</body>", "<script>alert(1)</script></body>"), "forbidden-element", "error"),
        (
            ("</body>", '<form action="https://x.nl"><input name="q"></form></body>'),
            "forbidden-element",
            "error",
        ),
        (('href="https://veiligheidsalliantie.nl/a"', 'href="/a"'), "absolute-url", "error"),
        (
            ('href="https://veiligheidsalliantie.nl/a"', 'href="http://veiligheidsalliantie.nl/a"'),
            "https",
            "warning",
        ),
        (
            (
                'src="https://veiligheidsalliantie.nl/logo.png"',
                'src="http://veiligheidsalliantie.nl/logo.png"',
            ),
            "https",
            "error",
        ),
        (
            ('href="https://veiligheidsalliantie.nl/a"', 'href="javascript:alert(1)"'),
            "absolute-url",
            "error",
        ),
        (
            (
                '<div style="display:none;font-size:1px;color:#ffffff;max-height:0px;">'
                "Het voorwoord</div>",
                "",
            ),
            "preheader",
            "warning",
        ),
        (("text-decoration:underline;", "text-decoration:none;"), "colour-only", "warning"),
        # R4: an email without a visible unsubscribe link is blocked; preferences warn.
        (
            ('<a href="%%VARCOMMS_UNSUBSCRIBE_URL%%"', '<a href="https://x.nl/uit"'),
            "unsubscribe",
            "error",
        ),
        (
            (
                '<a href="%%VARCOMMS_UNSUBSCRIBE_URL%%" style="',
                '<a href="%%VARCOMMS_UNSUBSCRIBE_URL%%" style="display:none;',
            ),
            "unsubscribe",
            "error",
        ),
        (
            ('<a href="%%VARCOMMS_PREFERENCES_URL%%"', '<a href="https://x.nl/v"'),
            "preferences",
            "warning",
        ),
        # U2: an image wider than the 552 px column, in the email or in Outlook's HTML.
        (('alt="Foto" width="552"', 'alt="Foto" width="600"'), "image-width", "error"),
        (
            (
                "<![endif]-->\n</head>",
                '<img src="https://x.nl/a.png" alt="" width="640"><![endif]-->\n</head>',
            ),
            "image-width",
            "error",
        ),
        # R1: three links named "Lees meer" (the third's aria-label names it otherwise).
        (('aria-label="Lees meer: het derde bericht"', ""), "link-purpose", "warning"),
        (
            ('aria-label="Lees meer: het derde bericht"', 'title="Het derde bericht"'),
            "link-purpose",
            "warning",
        ),
    ],
)
def test_each_rule_catches_its_problem(change: tuple[str, str], rule: str, level: str) -> None:
    old, new = change
    assert old in GOOD
    found = rules(GOOD.replace(old, new, 1))
    assert rule in found, f"expected {rule}, got {found}"
    assert {f.severity for f in found[rule]} == {level}


def test_contrast_follows_inherited_background() -> None:
    # Light text is fine on the dark band and wrong once the band loses its colour.
    band = '<div style="background-color:#004b87;"><p style="color:#dbe7f3;">Editie 2</p></div>'
    good = GOOD.replace("<h1>", band + "<h1>")
    assert "contrast" not in rules(good)
    bad = good.replace("background-color:#004b87;", "")
    assert "contrast" in rules(bad)
    assert "#dbe7f3 on #ffffff" in rules(bad)["contrast"][0].message


def test_hidden_text_and_buttons_are_judged_fairly() -> None:
    hidden = '<div style="display:none;"><p style="color:#fefefe;">verborgen</p></div>'
    button = (
        '<a href="https://x.nl/" style="background:#004b87;color:#ffffff;text-decoration:none;">'
        "Lees meer over de campagne</a>"
    )
    assert (
        rules(
            GOOD.replace("</td></tr></table></body>", hidden + button + "</td></tr></table></body>")
        )
        == {}
    )


def test_attribute_values_with_angle_brackets_are_read_whole() -> None:
    tricky = GOOD.replace('alt="VAR"', 'alt="VAR > RIEC" title="a>b"')
    assert check_html(tricky, SETTINGS) == []


def test_size_warns_from_90_kb_and_fails_above_102_kb() -> None:
    padding = "<p>" + "x" * 1000 + "</p>"
    near = GOOD.replace("</td></tr></table></body>", padding * 92 + "</td></tr></table></body>")
    over = GOOD.replace("</td></tr></table></body>", padding * 105 + "</td></tr></table></body>")
    assert [f.severity for f in rules(near)["size"]] == ["warning"]
    assert [f.severity for f in rules(over)["size"]] == ["error"]
    assert "Gmail clips" in rules(over)["size"][0].message
    assert "size" not in rules(
        near, RenderSettings(warn_html_bytes=200_000, max_html_bytes=300_000)
    )


def test_findings_read_well() -> None:
    finding = rules(GOOD.replace(' alt="VAR"', ""))["alt-text"][0]
    assert str(finding) == (
        "error [alt-text] image https://veiligheidsalliantie.nl/logo.png has no alt attribute"
    )


def test_the_text_part_needs_the_unsubscribe_link() -> None:
    text = "Afmelden: %%VARCOMMS_UNSUBSCRIBE_URL%%\nVoorkeuren: %%VARCOMMS_PREFERENCES_URL%%\n"
    assert check_text(text) == []
    found = {
        (f.code, f.severity) for f in check_text(text.replace("%%VARCOMMS_UNSUBSCRIBE_URL%%", ""))
    }
    assert found == {("unsubscribe", "error")}
    found = {
        (f.code, f.severity) for f in check_text(text.replace("%%VARCOMMS_PREFERENCES_URL%%", ""))
    }
    assert found == {("preferences", "warning")}
