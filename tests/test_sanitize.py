"""Outside HTML is reduced to what is safe in email, with absolute links."""

from __future__ import annotations

import pytest

from varcomms.sanitize import absolute_url, sanitize_html

BASE = "https://veiligheidsalliantie.nl/nieuws/leerhuis/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<p>Hallo<script>alert(1)</script></p>", "<p>Hallo</p>"),
        ('<p onclick="x()">Klik</p>', "<p>Klik</p>"),
        ("<iframe src='https://video.example.org'></iframe><p>na</p>", "<p>na</p>"),
        ("<style>p{color:red}</style><p>tekst</p>", "<p>tekst</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<p style="mso-ansi-language:NL">Word</p>', "<p>Word</p>"),
        ("<form><input name=a></form><p>b</p>", "<p>b</p>"),
    ],
)
def test_dangerous_markup_is_removed(raw: str, expected: str) -> None:
    assert sanitize_html(raw) == expected


def test_relative_links_and_images_become_absolute() -> None:
    html = '<a href="../agenda/">Agenda</a><img src="/img/a.png" alt="Leerhuis">'
    assert sanitize_html(html, base_url=BASE) == (
        '<a href="https://veiligheidsalliantie.nl/nieuws/agenda/" rel="noopener noreferrer">'
        'Agenda</a><img src="https://veiligheidsalliantie.nl/img/a.png" alt="Leerhuis">'
    )


def test_data_images_are_dropped() -> None:
    assert "data:" not in sanitize_html('<img src="data:image/png;base64,AAAA" alt="x">')


def test_absolute_url() -> None:
    assert absolute_url("/a", BASE) == "https://veiligheidsalliantie.nl/a"
    assert absolute_url("javascript:alert(1)", BASE) is None
    assert absolute_url("", BASE) is None
