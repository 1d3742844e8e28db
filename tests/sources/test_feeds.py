"""News feeds become clean items: full text, absolute links, images, themes, Dutch dates."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.sources.conftest import FIXTURES, source, with_sources
from varcomms import pool, sources
from varcomms.context import Context
from varcomms.models import Item, ItemKind
from varcomms.sources import SourceStatus
from varcomms.sources.dates import parse_dutch_date


def collect_items(ctx: Context, name: str, **kwargs: object) -> list[Item]:
    with_sources(ctx, source(name, **kwargs))  # type: ignore[arg-type]
    report = sources.collect(ctx)
    assert report.source(name).status is SourceStatus.OK, report.source(name)
    return pool.list_items(ctx.store, source=name)


def by_title(found: list[Item], start: str) -> Item:
    (item,) = [i for i in found if i.title.startswith(start)]
    return item


def test_wordpress_feed_is_normalised(context: Context) -> None:
    found = collect_items(context, "wp", path=FIXTURES / "wordpress.xml", brand="var")
    assert len(found) == 3
    item = by_title(found, "Leerhuis over ransomware")
    assert item.title == "Leerhuis over ransomware & phishing"
    assert item.kind is ItemKind.NEWS and item.brand == "var"
    assert item.url == "https://test.example.nl/nieuws/leerhuis-ransomware/"
    assert item.guid == "https://test.example.nl/?p=11"
    assert item.published == datetime(2022, 1, 24, 9, 0, tzinfo=UTC)
    # content:encoded wins over the excerpt; dangerous markup is gone; links absolute.
    html = item.summary_html
    assert "volledige" in html and "uittreksel" not in html
    for bad in ("<script", "track()", "<iframe", "<style", "onclick", "javascript:"):
        assert bad not in html
    assert 'src="https://test.example.nl/wp-content/uploads/leerhuis.jpg"' in html
    assert 'href="https://test.example.nl/kennisbank/"' in html
    # The enclosure is the picture, made absolute; its alt comes from the title.
    assert item.image_url == "https://test.example.nl/wp-content/uploads/leerhuis-groot.jpg"
    assert item.image_alt == item.title
    # Themes: category "Cyber" and keywords via the rules, "Kennisbijeenkomsten" as a label.
    assert item.themes == ("cybercriminaliteit", "kennisbijeenkomsten")


def test_images_from_media_thumbnail_and_first_img(context: Context) -> None:
    found = collect_items(context, "wp", path=FIXTURES / "wordpress.xml")
    thumb = by_title(found, "Zonder guid")
    assert thumb.image_url == "https://test.example.nl/thumb.jpg"
    assert thumb.guid is None
    assert thumb.themes == ("veilig-wonen",)  # keyword "woninginbraak" in the summary
    inline = by_title(found, "Met alleen een afbeelding")
    assert inline.image_url == "https://test.example.nl/nieuws/afbeelding/beeld.png"
    assert inline.image_alt == "Een beeld"


def test_dutch_dates_become_utc_and_relative_links_absolute(context: Context) -> None:
    found = collect_items(context, "riec", path=FIXTURES / "dutch-dates.xml", brand="riec")
    first = by_title(found, "Witwassen")
    assert first.published == datetime(2022, 1, 18, 9, 0, tzinfo=UTC)
    assert first.url == "https://riec.example.nl/rotterdam/nieuws/witwassen"
    assert 'href="https://riec.example.nl/rotterdam/kennisbank"' in first.summary_html
    # No zone given: local time in the Netherlands (CEST in October).
    assert by_title(found, "Zomertijd").published == datetime(2023, 10, 2, 22, 0, tzinfo=UTC)
    assert by_title(found, "Maart").published == datetime(2022, 3, 4, 13, 30, tzinfo=UTC)


def test_dutch_date_parser() -> None:
    assert parse_dutch_date("di, 03 okt 2023") == datetime(2023, 10, 2, 22, 0, tzinfo=UTC)
    assert parse_dutch_date("ma, 31 okt 2022 10:00 CET") == datetime(2022, 10, 31, 9, tzinfo=UTC)
    assert parse_dutch_date("zo, 1 mei 2022 12:00:00 +0000") == datetime(2022, 5, 1, 12, tzinfo=UTC)
    # English names are read too (audit M2); impossible dates give no date (L9).
    assert parse_dutch_date("Tue, 18 Jan 2022 10:00:00 +0100") == datetime(
        2022, 1, 18, 9, tzinfo=UTC
    )
    assert parse_dutch_date("di, 31 feb 2022") is None
    assert parse_dutch_date("gisteren") is None


def test_campaign_source_keeps_only_matching_items(context: Context) -> None:
    found = collect_items(
        context,
        "politie",
        kind="campaign",
        path=FIXTURES / "politie.xml",
        keywords=("babbeltruc", "nepagent"),
        region="Rotterdam",
        themes=("veilig-wonen",),
    )
    assert sorted(i.title for i in found) == [
        "Campagne tegen babbeltrucs",
        "Pas op voor Nepagenten",
    ]
    assert {i.kind for i in found} == {ItemKind.CAMPAIGN}
    report = sources.collect(context)
    assert report.source("politie").ignored == {"not matching the campaign keywords": 1}


def test_campaign_region_must_be_named_in_a_national_feed(context: Context) -> None:
    found = collect_items(
        context,
        "landelijk",
        kind="campaign",
        path=FIXTURES / "politie-landelijk.xml",
        keywords=("babbeltruc",),
        region="Rotterdam",
    )
    assert [i.title for i in found] == ["Babbeltrucs in Schiedam"]


def test_campaigns_entered_by_hand(context: Context) -> None:
    found = collect_items(context, "hand", kind="campaign", path=FIXTURES / "manual")
    # Files without a kind are campaigns here; files that say what they are keep it.
    assert by_title(found, "Notitie").kind is ItemKind.CAMPAIGN
    assert by_title(found, "Voorjaarscarrousel").kind is ItemKind.EVENT


def test_event_feed_pubdate_is_the_start(context: Context) -> None:
    found = collect_items(context, "ev", kind="event-rss", path=FIXTURES / "events.xml")
    assert {i.kind for i in found} == {ItemKind.EVENT}
    webinar = by_title(found, "Webinar")
    assert webinar.event is not None and webinar.published is None
    assert webinar.event.start == datetime(2022, 2, 15, 13, 0, tzinfo=UTC)
    conference = by_title(found, "Conferentie")
    assert conference.event is not None
    assert conference.event.start == datetime(2022, 5, 19, 7, 0, tzinfo=UTC)
    assert conference.event.end == datetime(2022, 5, 19, 15, 0, tzinfo=UTC)
    assert conference.event.location == "De Doelen, Rotterdam"
    # The clock says 1 February 2022: the January event is past and not offered.
    assert len(found) == 2


def test_malformed_urls_in_feed_html_do_not_crash_the_sanitiser() -> None:
    from varcomms.sanitize import absolute_url, sanitize_html

    html = '<a href="http://example.c[o.test/">x</a><img src="http://[bad/i.png" alt="y">'
    cleaned = sanitize_html(html, base_url="https://test.example.nl/")
    assert "example.c[o" not in cleaned and "[bad" not in cleaned
    assert absolute_url("http://example.c[o.test/", None) is None
