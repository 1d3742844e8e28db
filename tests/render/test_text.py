from __future__ import annotations

from varcomms.render.text import heading, html_to_text, tidy, wrap


def test_paragraphs_lists_and_links() -> None:
    html = (
        "<p>Eerste alinea met <strong>nadruk</strong> &amp; een "
        '<a href="https://example.org/a">link</a>.</p>'
        "<ul><li>één</li><li>twee</li></ul>"
        '<p>Mail <a href="mailto:a@b.nl">a@b.nl</a></p>'
    )
    assert html_to_text(html) == (
        "Eerste alinea met nadruk & een link (https://example.org/a).\n\n"
        "- één\n- twee\n\n"
        "Mail a@b.nl"
    )


def test_wrapping_never_breaks_urls_or_placeholders() -> None:
    url = "https://veiligheidsalliantie.nl/" + "x" * 80
    text = wrap(f"Lees meer op {url} en groet %%VARCOMMS_GREETING_NAME%% hartelijk", width=40)
    assert url in text.splitlines()
    assert "%%VARCOMMS_GREETING_NAME%%" in text


def test_headings_and_tidy() -> None:
    assert heading("Agenda") == "AGENDA\n======"
    assert tidy("a  \n\n\n\nb\n") == "a\n\nb\n"


def test_source_line_breaks_are_spaces_not_ragged_lines() -> None:
    # Markdown keeps the editor's line breaks inside a paragraph; a reader sees one flow.
    html = (
        "<p>Voor u ligt de eerste nieuwsbrief van 2022, en de eerste die wij vanaf het\n"
        "begin van het jaar samen maken.<br>Nieuwe regel.</p>"
    )
    assert html_to_text(html) == (
        "Voor u ligt de eerste nieuwsbrief van 2022, en de eerste die wij vanaf\n"
        "het begin van het jaar samen maken.\n"
        "Nieuwe regel."
    )
