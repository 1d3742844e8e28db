"""One edition's figures: the ledger's recipients joined with the providers' events."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Select, and_, select

from varcomms.context import Context
from varcomms.errors import NotFoundError
from varcomms.models import DeliveryState, EventType
from varcomms.store.schema import deliveries, events, sends

OPENS_CAVEAT = (
    "Opens are unreliable: Apple Mail Privacy Protection loads every image on delivery "
    "(counted as an open) and readers who block images never count. Read them as a trend."
)
TOP_LINKS = 10


@dataclass
class Counts:
    recipients: int = 0
    accepted: int = 0
    failed: int = 0
    uncertain: int = 0
    suppressed: int = 0
    delivered: int = 0
    bounced_hard: int = 0
    bounced_soft: int = 0
    complained: int = 0
    unsubscribed: int = 0
    opened: int = 0  # unique people
    clicked: int = 0  # unique people

    def rate(self, part: int) -> float | None:
        """A share of the accepted messages; None when nothing was accepted."""
        return part / self.accepted if self.accepted else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = asdict(self)
        data["open_rate"] = self.rate(self.opened)
        data["click_rate"] = self.rate(self.clicked)
        data["bounce_rate"] = self.rate(self.bounced_hard + self.bounced_soft)
        return data


@dataclass
class EditionReport:
    edition_id: str
    segments: list[str]
    totals: Counts
    per_variant: dict[str, Counts] = field(default_factory=dict)
    per_segment: dict[str, Counts] = field(default_factory=dict)
    top_links: list[tuple[str, int, int]] = field(default_factory=list)  # url, people, clicks
    caveat: str = OPENS_CAVEAT

    def to_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition_id,
            "segments": self.segments,
            "totals": self.totals.to_dict(),
            "per_variant": {key: c.to_dict() for key, c in self.per_variant.items()},
            "per_segment": {key: c.to_dict() for key, c in self.per_segment.items()},
            "top_links": [
                {"url": url, "people": people, "clicks": clicks}
                for url, people, clicks in self.top_links
            ],
            "caveat": self.caveat,
        }


_STATE_FIELD = {
    DeliveryState.SENT.value: "accepted",
    DeliveryState.FAILED.value: "failed",
    DeliveryState.UNCERTAIN.value: "uncertain",
    DeliveryState.SUPPRESSED.value: "suppressed",
}
_UNIQUE_EVENT_FIELD = {
    EventType.DELIVERED.value: "delivered",
    EventType.COMPLAINED.value: "complained",
    EventType.UNSUBSCRIBED.value: "unsubscribed",
    EventType.OPENED.value: "opened",
    EventType.CLICKED.value: "clicked",
}


def _real_sends(edition_id: str) -> Select[Any]:
    return select(sends.c.id, sends.c.segment).where(
        sends.c.edition_id == edition_id, sends.c.is_test.is_(False)
    )


def edition_report(ctx: Context, edition_id: str) -> EditionReport:
    """Recipients, acceptance and what providers reported since, per variant and segment."""
    with ctx.store.engine.connect() as db:
        real = {row.id: row.segment or "all" for row in db.execute(_real_sends(edition_id))}
        if not real:
            raise NotFoundError(
                f"edition {edition_id!r} has no real send to report on",
                hint=f"see what happened with: varcomms send status {edition_id}",
            )
        report = EditionReport(
            edition_id=edition_id, segments=sorted(set(real.values())), totals=Counts()
        )
        people = select(
            deliveries.c.email, deliveries.c.variant, deliveries.c.send_id, deliveries.c.state
        ).where(deliveries.c.send_id.in_(list(real)))
        who: dict[str, tuple[str, str]] = {}  # email -> (variant, segment)
        for email, variant, send_id, state in db.execute(people):
            segment = real[send_id]
            who[email.lower()] = (variant, segment)
            for counts in _targets(report, variant, segment):
                counts.recipients += 1
                name = _STATE_FIELD.get(state)
                if name:
                    setattr(counts, name, getattr(counts, name) + 1)
        _add_events(db, report, edition_id, who)
    return report


def _targets(report: EditionReport, variant: str, segment: str) -> tuple[Counts, ...]:
    return (
        report.totals,
        report.per_variant.setdefault(variant, Counts()),
        report.per_segment.setdefault(segment, Counts()),
    )


def _add_events(db: Any, report: EditionReport, edition_id: str, who: dict) -> None:
    # One figure per person: a provider retrying a webhook, or a reader opening twice,
    # counts once. Bounces keep their worst kind: a hard bounce outranks a soft one.
    seen: dict[str, set[str]] = {}
    bounce: dict[str, str] = {}
    clicks: Counter[str] = Counter()
    clickers: dict[str, set[str]] = {}
    query = select(events.c.type, events.c.email, events.c.data).where(
        and_(events.c.edition_id == edition_id, events.c.email.is_not(None))
    )
    for kind, email, data in db.execute(query):
        address = email.lower()
        if address not in who:
            continue  # an event for someone this send never reached (or a test send)
        if kind == EventType.BOUNCED.value:
            severity = "hard" if (data or {}).get("bounce", "hard") == "hard" else "soft"
            if bounce.get(address) != "hard":
                bounce[address] = severity
            continue
        field_name = _UNIQUE_EVENT_FIELD.get(kind)
        if field_name is None:
            continue
        seen.setdefault(field_name, set()).add(address)
        if kind == EventType.CLICKED.value:
            url = str((data or {}).get("url") or "")
            if url:
                clicks[url] += 1
                clickers.setdefault(url, set()).add(address)
    # A click implies an open, whatever the pixel said.
    seen.setdefault("opened", set()).update(seen.get("clicked", set()))
    for field_name, addresses in seen.items():
        for address in addresses:
            for counts in _targets(report, *who[address]):
                setattr(counts, field_name, getattr(counts, field_name) + 1)
    for address, severity in bounce.items():
        for counts in _targets(report, *who[address]):
            if severity == "hard":
                counts.bounced_hard += 1
            else:
                counts.bounced_soft += 1
    ranked = sorted(clicks, key=lambda url: (-len(clickers[url]), -clicks[url], url))
    report.top_links = [(url, len(clickers[url]), clicks[url]) for url in ranked[:TOP_LINKS]]
