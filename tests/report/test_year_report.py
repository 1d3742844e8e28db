"""`varcomms report year 2022`: editions side by side, audience at the start and the end."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import ROOT
from varcomms.context import Context
from varcomms.render.screenshots import CHROMIUM, browser
from varcomms.report import edition_report, report_html, year_report

from .conftest import add_events, add_send, add_subscriber


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, tzinfo=UTC)


def _year(ctx: Context) -> None:
    store = ctx.store
    add_subscriber(
        store, "stays@example.org", joined=_at(2021, 6, 1), themes=("cybercriminaliteit",)
    )
    add_subscriber(store, "new@example.org", joined=_at(2022, 3, 1), themes=("cybercriminaliteit",))
    add_subscriber(
        store,
        "left@example.org",
        joined=_at(2021, 1, 1),
        status="unsubscribed",
        updated=_at(2022, 5, 2),
    )
    add_subscriber(
        store,
        "bounced-later@example.org",
        joined=_at(2021, 1, 1),
        status="bounced",
        updated=_at(2023, 1, 10),
    )
    add_subscriber(store, "never-confirmed@example.org", joined=_at(2021, 1, 1), status="pending")
    add_send(
        store,
        "s0",
        "2021-12",
        [("stays@example.org", "algemeen", "sent")],
        finished=_at(2021, 12, 14),
    )
    add_send(
        store,
        "s1",
        "2022-01",
        [("stays@example.org", "cyber", "sent"), ("left@example.org", "algemeen", "sent")],
        finished=_at(2022, 2, 1),
    )
    add_send(
        store, "s2", "2022-09", [("new@example.org", "cyber", "sent")], finished=_at(2022, 9, 20)
    )
    add_send(
        store, "s3", "2023-01", [("new@example.org", "cyber", "sent")], finished=_at(2023, 1, 3)
    )
    add_events(store, "2022-01", [("unsubscribed", "left@example.org", {})])


def test_the_year_counts_members_at_both_ends_and_lists_its_editions(report_ctx: Context) -> None:
    _year(report_ctx)
    report = year_report(report_ctx, 2022)
    # start: stays, left, bounced-later; end: stays, new, bounced-later (left in 2023).
    assert (report.subscribers_start, report.subscribers_end, report.growth) == (3, 3, 0)
    assert report.themes["cybercriminaliteit"] == (1, 2)
    assert [line.edition_id for line in report.editions] == ["2022-01", "2022-09"]
    assert report.editions[0].counts.unsubscribed == 1
    assert report.to_dict()["themes"]["cybercriminaliteit"]["growth"] == 1


def test_a_year_without_sends_reports_zero_editions(report_ctx: Context) -> None:
    _year(report_ctx)
    assert year_report(report_ctx, 2020).editions == []
    assert year_report(report_ctx, 2020).subscribers_end == 0


def test_reports_open_in_a_browser(report_ctx: Context) -> None:
    if not CHROMIUM.exists():
        return  # the browser part needs Debian's Chromium; the figures are tested above
    _year(report_ctx)
    artifacts = ROOT / "test-artifacts" / "report"
    artifacts.mkdir(parents=True, exist_ok=True)
    pages = {
        "edition": report_html(report_ctx.config, edition_report(report_ctx, "2022-01")),
        "year": report_html(report_ctx.config, year_report(report_ctx, 2022)),
    }
    with browser() as chromium:
        for name, page_html in pages.items():
            path = artifacts / f"{name}.html"
            path.write_text(page_html, encoding="utf-8")
            for width in (1280, 375):
                context = chromium.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                page.goto(path.as_uri())
                bars = page.eval_on_selector_all("svg rect", "rects => rects.length")
                assert bars >= 2
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{name} at {width}px scrolls sideways"
                page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
                context.close()
