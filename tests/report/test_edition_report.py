"""`varcomms report ID`: the ledger joined with the providers' events, counted once each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from varcomms.context import Context
from varcomms.errors import NotFoundError
from varcomms.report import edition_report, report_html

from .conftest import add_events, add_send

PEOPLE = [
    ("a@example.org", "algemeen", "sent"),
    ("b@example.org", "algemeen", "sent"),
    ("c@example.org", "cyber", "sent"),
    ("d@example.org", "cyber", "sent"),
    ("e@example.org", "algemeen", "failed"),
    ("f@example.org", "algemeen", "uncertain"),
]


@pytest.fixture
def sent(report_ctx: Context) -> Context:
    add_send(report_ctx.store, "s1", "2022-01", PEOPLE)
    # A test send of the same edition: its recipients and events never count.
    add_send(
        report_ctx.store,
        "t1",
        "2022-01",
        [("tester@example.org", "algemeen", "sent")],
        is_test=True,
    )
    add_events(
        report_ctx.store,
        "2022-01",
        [
            ("delivered", "a@example.org", {}),
            ("delivered", "b@example.org", {}),
            ("delivered", "c@example.org", {}),
            ("opened", "a@example.org", {}),
            ("opened", "a@example.org", {}),  # twice: one person
            ("clicked", "c@example.org", {"url": "https://example.org/x"}),  # no open seen
            ("clicked", "c@example.org", {"url": "https://example.org/x"}),
            ("clicked", "a@example.org", {"url": "https://example.org/x"}),
            ("clicked", "a@example.org", {"url": "https://example.org/y"}),
            ("bounced", "d@example.org", {"bounce": "soft", "code": 452}),
            ("bounced", "d@example.org", {"bounce": "hard", "code": 550}),  # worst wins
            ("bounced", "b@example.org", {"bounce": "soft", "code": 421}),
            ("complained", "b@example.org", {}),
            ("unsubscribed", "b@example.org", {}),
            ("opened", "tester@example.org", {}),  # the test send's reader
            ("opened", "stranger@example.org", {}),  # never sent this edition
        ],
    )
    return report_ctx


def test_totals_count_each_person_once(sent: Context) -> None:
    totals = edition_report(sent, "2022-01").totals
    assert (totals.recipients, totals.accepted, totals.failed, totals.uncertain) == (6, 4, 1, 1)
    assert totals.delivered == 3
    assert (totals.bounced_hard, totals.bounced_soft) == (1, 1)
    assert (totals.complained, totals.unsubscribed) == (1, 1)
    # a opened; c clicked without an image loading, which is an open all the same.
    assert (totals.opened, totals.clicked) == (2, 2)
    assert totals.rate(totals.opened) == 0.5


def test_per_variant_and_top_links(sent: Context) -> None:
    report = edition_report(sent, "2022-01")
    assert report.per_variant["algemeen"].recipients == 4
    assert report.per_variant["cyber"].clicked == 1
    assert report.per_variant["cyber"].bounced_hard == 1
    assert report.top_links == [
        ("https://example.org/x", 2, 3),
        ("https://example.org/y", 1, 1),
    ]
    assert list(report.per_segment) == ["all"]


def test_an_edition_without_a_real_send_is_not_found(report_ctx: Context) -> None:
    add_send(
        report_ctx.store, "t9", "2022-09", [("x@example.org", "algemeen", "sent")], is_test=True
    )
    with pytest.raises(NotFoundError, match="no real send"):
        edition_report(report_ctx, "2022-09")


def test_html_report_is_self_contained_and_escapes_urls(sent: Context) -> None:
    add_events(
        sent.store,
        "2022-01",
        [("clicked", "d@example.org", {"url": 'https://example.org/"><script>x()</script>'})],
    )
    page = report_html(sent.config, edition_report(sent, "2022-01"))
    assert "<svg" in page and "Openingen zijn onbetrouwbaar" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<link" not in page  # nothing to fetch: it opens from a mail attachment


def test_cli_report_json_and_html(cli, sent: Context, tmp_path: Path) -> None:
    config = _config_for(sent, tmp_path)
    out = tmp_path / "rapport.html"
    result = cli("--config", str(config), "report", "2022-01", "--json", "--html", str(out))
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["totals"]["accepted"] == 4 and data["totals"]["open_rate"] == 0.5
    assert data["top_links"][0] == {"url": "https://example.org/x", "people": 2, "clicks": 3}
    assert "Apple Mail" in data["caveat"]
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    table = cli("--config", str(config), "report", "2022-01")
    assert table.code == 0 and "variant cyber" in table.stdout


def test_cli_report_year_needs_a_year(cli, sent: Context, tmp_path: Path) -> None:
    result = cli("--config", str(_config_for(sent, tmp_path)), "report", "year")
    assert result.code == 2


def _config_for(ctx: Context, tmp_path: Path) -> Path:
    """A varcomms.toml whose database is the fixture's."""
    from tests.conftest import ROOT

    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    url = ctx.store.engine.url.render_as_string(hide_password=False)
    config = tmp_path / "varcomms.toml"
    config.write_text(f'database_url = "{url}"\n' + text, encoding="utf-8")
    return config
