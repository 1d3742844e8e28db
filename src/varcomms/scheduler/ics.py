"""The plan as an iCalendar file, for the team's calendars: deadlines and send times."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from varcomms.scheduler.plan import YearPlan

LABELS = {
    "drafting": ("Concept {id} wordt gemaakt", 15),
    "riec_deadline": ("Deadline RIEC-rubriek {id}", 30),
    "review_deadline": ("Deadline goedkeuring {id}", 30),
    "send": ("Verzending nieuwsbrief {id}", 15),
}


def plan_calendar(plan: YearPlan, *, stamp: datetime) -> bytes:
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//VeiligheidsAlliantie regio Rotterdam//varcomms scheduler//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Nieuwsbrief VAR & RIEC {plan.year}")
    calendar.add("x-wr-timezone", "Europe/Amsterdam")
    for edition in plan.editions:
        for name, when in edition.dates():
            label, minutes = LABELS[name]
            event = Event()
            # Stable UIDs: importing a newer export updates events instead of doubling them.
            event.add("uid", f"{edition.id}-{name}@varcomms.veiligheidsalliantie.nl")
            event.add("dtstamp", stamp)
            event.add("dtstart", when)
            event.add("dtend", when + timedelta(minutes=minutes))
            event.add("summary", label.format(id=edition.id))
            kind = "special" if edition.kind == "special" else "reguliere editie"
            audience = "alle abonnees" if edition.segment is None else f"segment {edition.segment}"
            event.add("description", f"{edition.id}: {kind}, {audience}.")
            event.add("categories", ["nieuwsbrief"])
            calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def write_calendar(plan: YearPlan, path: Path, *, stamp: datetime) -> int:
    data = plan_calendar(plan, stamp=stamp)
    path.write_bytes(data)
    return sum(len(e.dates()) for e in plan.editions)
