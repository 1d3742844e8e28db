"""Feed HTML becomes editable Markdown, and editors' Markdown becomes safe HTML."""

from __future__ import annotations

from varcomms.editions.markdown import html_to_markdown, markdown_to_html


def test_simple_feed_html_becomes_markdown_and_back() -> None:
    html = (
        '<p>Het <strong>Leerhuis</strong> over <a href="https://veiligheidsalliantie.nl/cyber/">'
        "cyber</a> trok 60 deelnemers.</p><ul><li>politie</li><li>OM_en *gemeenten*</li></ul>"
    )
    text = html_to_markdown(html)
    assert text == (
        "Het **Leerhuis** over [cyber](https://veiligheidsalliantie.nl/cyber/) trok 60 "
        "deelnemers.\n\n- politie\n- OM\\_en \\*gemeenten\\*"
    )
    back = markdown_to_html(text)
    assert '<a href="https://veiligheidsalliantie.nl/cyber/" rel="noopener noreferrer">' in back
    assert "<li>OM_en *gemeenten*</li>" in back


def test_rich_html_is_kept_as_html_and_still_renders() -> None:
    html = "<table><tr><td>Gemeente</td><td>16</td></tr></table>"
    assert html_to_markdown(html) == html
    assert "<td>16</td>" in markdown_to_html(html)


def test_text_that_looks_like_a_heading_stays_text() -> None:
    text = html_to_markdown("<p>#1 in de regio</p>")
    assert markdown_to_html(text) == "<p>#1 in de regio</p>"


def test_relative_links_are_made_absolute_and_unsafe_ones_dropped() -> None:
    html = markdown_to_html(
        "[agenda](/agenda/) en [x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        base_url="https://veiligheidsalliantie.nl",
    )
    assert 'href="https://veiligheidsalliantie.nl/agenda/"' in html
    # markdown-it leaves a javascript: link as plain text; the sanitiser drops handlers.
    assert 'href="javascript' not in html and "onerror" not in html
