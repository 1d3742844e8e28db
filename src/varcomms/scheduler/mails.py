"""The reminders and notices editors receive, in Dutch.

Each function returns a subject and a plain-text body; the scheduler sends them as
transactional mail through the configured provider.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from varcomms.scheduler.plan import AMSTERDAM

SIGNATURE = "\n\n— de planner van de nieuwsbrief (varcomms scheduler)\n"
ROLE_NL = {"var": "VAR", "riec": "RIEC"}


def when(value: datetime) -> str:
    """'vrijdag 3 juni 12:00'."""
    return format_datetime(value.astimezone(AMSTERDAM), "EEEE d MMMM HH:mm", locale="nl")


def day_time(value: datetime) -> str:
    """'dinsdag 09:00'."""
    return format_datetime(value.astimezone(AMSTERDAM), "EEEE HH:mm", locale="nl")


def weekday(value: datetime) -> str:
    return format_datetime(value.astimezone(AMSTERDAM), "EEEE", locale="nl")


def riec_copy(edition_id: str, deadline: datetime, *, overdue: bool = False) -> tuple[str, str]:
    subject = f"Herinnering: RIEC-rubriek voor {edition_id} uiterlijk {when(deadline)}"
    if overdue:  # the scheduler was down when the reminder was due
        first = f"De RIEC-rubriek voor {edition_id} had {when(deadline)} klaar moeten zijn."
    else:
        first = (
            f"De RIEC-rubriek voor {edition_id} moet {weekday(deadline)} klaar zijn "
            f"({when(deadline)})."
        )
    body = (
        f"{first}\n\n"
        f"Zet de tekst in newsletters/{edition_id}/riec.md en onderteken met\n"
        f"  varcomms edition approve {edition_id} --as riec"
    )
    return subject, body + SIGNATURE


def review(edition_id: str, deadline: datetime, missing: list[str]) -> tuple[str, str]:
    needed = " en ".join(ROLE_NL[r] for r in missing) or "geen"
    subject = f"Herinnering: {edition_id} moet {when(deadline)} goedgekeurd zijn"
    body = (
        f"{edition_id} moet uiterlijk {when(deadline)} goedgekeurd zijn.\n"
        f"Nog nodig: de ondertekening van {needed}.\n\n"
        f"  varcomms edition lint {edition_id}\n"
        f"  varcomms edition approve {edition_id} --as var"
    )
    return subject, body + SIGNATURE


def not_scheduled(edition_id: str, send: datetime, approved: bool) -> tuple[str, str]:
    if approved:
        subject = f"{edition_id} is goedgekeurd maar nog niet ingepland"
        body = (
            f"{edition_id} staat gepland voor {day_time(send)} en is goedgekeurd, maar nog "
            "niet ingepland. Zonder inplannen gaat zij niet uit.\n\n"
            f"  varcomms edition schedule {edition_id}"
        )
    else:
        subject = f"{edition_id} staat gepland maar is nog niet goedgekeurd"
        body = (
            f"{edition_id} staat gepland voor {day_time(send)} maar is nog niet goedgekeurd.\n"
            "Een nieuwsbrief die niet is goedgekeurd en ingepland, wordt niet verstuurd."
        )
    return subject, body + SIGNATURE


def held(edition_id: str, send: datetime, reason: str, until: datetime) -> tuple[str, str]:
    subject = f"{edition_id} is niet verstuurd: {reason}"
    body = (
        f"{edition_id} stond gepland voor {when(send)} en is niet verstuurd: {reason}.\n\n"
        f"De planner kijkt regelmatig opnieuw, tot {when(until)}. Is het dan in orde, "
        "dan gaat de nieuwsbrief alsnog uit; daarna wordt zij vastgehouden."
    )
    return subject, body + SIGNATURE


def late(edition_id: str, send: datetime, reason: str) -> tuple[str, str]:
    subject = f"{edition_id} wordt vastgehouden: te laat voor automatisch versturen"
    body = (
        f"{edition_id} stond gepland voor {when(send)} en is niet verstuurd ({reason}).\n"
        "De planner verstuurt een nieuwsbrief niet dagen te laat zonder dat iemand dat "
        "zegt. Versturen kan nu met\n\n"
        f"  varcomms scheduler release {edition_id}"
    )
    return subject, body + SIGNATURE


def sent(edition_id: str, count: int) -> tuple[str, str]:
    subject = f"{edition_id} is verstuurd"
    body = (
        f"{edition_id} is verstuurd naar {count} ontvanger(s).\n\n"
        f"  varcomms send status {edition_id}"
    )
    return subject, body + SIGNATURE
