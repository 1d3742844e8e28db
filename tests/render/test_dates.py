from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from varcomms.render.dates import day_month, event_dates, long_date, month_year, number

AMS = ZoneInfo("Europe/Amsterdam")


def test_dutch_dates() -> None:
    assert day_month(date(2022, 5, 19), AMS) == "19 mei"
    assert long_date(date(2022, 2, 15), AMS) == "15 februari 2022"
    assert long_date(date(2022, 5, 19), AMS, weekday=True) == "donderdag 19 mei 2022"
    assert month_year(datetime(2022, 2, 15, 8, tzinfo=UTC), AMS) == "februari 2022"


def test_dates_are_shown_in_local_time() -> None:
    # 23:30 UTC on 31 March is already 1 April in Amsterdam (summer time).
    assert day_month(datetime(2022, 3, 31, 23, 30, tzinfo=UTC), AMS) == "1 april"


def test_dutch_numbers() -> None:
    assert number(1250) == "1.250"
    assert number(2.5) == "2,5"


def test_event_on_one_day_with_times() -> None:
    dates = event_dates(
        datetime(2022, 5, 19, 7, 0, tzinfo=UTC),
        datetime(2022, 5, 19, 14, 30, tzinfo=UTC),
        False,
        AMS,
    )
    assert (dates.badge_day, dates.badge_month) == ("19", "mei")
    assert dates.line == "donderdag 19 mei 2022, 09:00 – 16:30 uur"


def test_all_day_event_over_several_days_has_an_inclusive_end() -> None:
    start = datetime(2022, 6, 13, tzinfo=AMS)
    dates = event_dates(start, datetime(2022, 6, 18, tzinfo=AMS), True, AMS)
    assert dates.line == "13 – 17 juni 2022"
    assert dates.time is None


def test_event_across_months() -> None:
    dates = event_dates(
        datetime(2022, 9, 30, 8, tzinfo=UTC), datetime(2022, 10, 2, 15, tzinfo=UTC), False, AMS
    )
    assert dates.date == "30 september – 2 oktober 2022"
    assert dates.time == "10:00 uur"
