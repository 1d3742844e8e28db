from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.render.conftest import with_render_settings
from varcomms.config import Config
from varcomms.models import PERSONAL_FIELDS
from varcomms.render.links import Tracker, style_fragment


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_web_links_get_utm_parameters(config: Config) -> None:
    tracker = Tracker.for_edition(config, "2022-02")
    url = tracker.url("https://veiligheidsalliantie.nl/nieuws/a?id=3", "nieuws")
    assert _query(url) == {
        "id": ["3"],
        "utm_source": ["nieuwsbrief"],
        "utm_medium": ["email"],
        "utm_campaign": ["2022-02"],
        "utm_content": ["nieuws"],
    }


def test_reader_links_are_never_tagged(config: Config) -> None:
    tracker = Tracker.for_edition(config, "2022-02")
    untouched = [
        *PERSONAL_FIELDS.values(),
        f"{config.urls.unsubscribe_base}/abc.def",
        f"{config.urls.preferences_base}?t=abc",
        "mailto:communicatie@veiligheidsalliantie.nl",
        "https://veiligheidsalliantie.nl/agenda/conferentie.ics",
        "https://example.org/?utm_source=partner",
    ]
    for url in untouched:
        assert tracker.url(url, "footer") == url


def test_tracking_can_be_switched_off(config: Config) -> None:
    tracker = Tracker.for_edition(with_render_settings(config, utm_enabled=False), "2022-02")
    assert (
        tracker.url("https://veiligheidsalliantie.nl/", "x") == "https://veiligheidsalliantie.nl/"
    )


def test_fragment_links_are_tagged_styled_and_underlined(config: Config) -> None:
    tracker = Tracker.for_edition(config, "2022-02")
    html = '<p>Zie <a href="https://politie.nl/a?x=1&amp;y=2" rel="noopener noreferrer">dit</a></p>'
    out = str(style_fragment(html, tracker, content="campagne", link_colour="#004b87"))
    assert '<p style="margin:0 0 12px 0;">' in out
    assert "color:#004b87;text-decoration:underline;" in out
    assert 'href="https://politie.nl/a?x=1&amp;y=2&amp;utm_source=nieuwsbrief' in out
    assert "utm_content=campagne" in out
