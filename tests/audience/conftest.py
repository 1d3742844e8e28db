"""Audience fixtures: a context whose audiences folder the test controls, and a
deterministic generator of thousands of subscribers written straight into the tables."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import insert

from tests.conftest import FIXTURES
from varcomms.config import Config
from varcomms.context import Context
from varcomms.models import OrgType
from varcomms.store import Store
from varcomms.store.schema import events, sends, subscriber_themes, subscribers, suppressions

AUDIENCE_FIXTURES = FIXTURES / "audience"


@pytest.fixture
def audiences_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "audiences"
    folder.mkdir()
    return folder


@pytest.fixture
def actx(context: Context, audiences_dir: Path) -> Iterator[Context]:
    """The shared `context` (both databases), with an empty audiences folder of its own."""
    paths = context.config.paths.model_copy(update={"audiences": audiences_dir})
    context.config = context.config.model_copy(update={"paths": paths})
    yield context


def write_segment(config: Config, name: str, rule: object, **extra: object) -> Path:
    path = config.audiences_dir / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, **extra, "rule": rule}), encoding="utf-8")
    return path


# -- a generated audience ---------------------------------------------------------------------

MUNICIPALITIES = [
    "Rotterdam", "Schiedam", "Vlaardingen", "Maassluis", "Capelle aan den IJssel",
    "Barendrecht", "Ridderkerk", "Lansingerland", "Nissewaard", "Krimpen aan den IJssel",
    "Albrandswaard", "Hellevoetsluis", "Voorne aan Zee", "Goeree-Overflakkee",
]  # fmt: skip
DOMAINS = ["rotterdam.nl", "politie.nl", "om.nl", "riec.nl", "schiedam.nl", "example.org",
           "ondernemer-b.nl", "zorg.example"]  # fmt: skip
EDITIONS = ["2021-08", "2021-10", "2021-12", "2022-01", "2022-02"]


@dataclass
class Person:
    id: int
    email: str
    domain: str
    org_type: str
    municipality: str | None
    language: str
    status: str
    themes: frozenset[str]
    consent_at: datetime | None
    created_at: datetime
    engaged_editions: set[str] = field(default_factory=set)


@dataclass
class Population:
    people: list[Person]
    suppressed_addresses: set[str]
    suppressed_domains: set[str]
    # Real sends, newest last; a test send must not count as an edition.
    editions_newest_last: list[str]


def generate(
    store: Store, slugs: list[str], *, size: int = 3000, seed: int = 20220201
) -> Population:
    rng = random.Random(seed)
    base = datetime(2019, 1, 1, tzinfo=UTC)
    people: list[Person] = []
    for i in range(1, size + 1):
        domain = rng.choice(DOMAINS)
        municipality = rng.choice([*MUNICIPALITIES, None])
        if municipality and rng.random() < 0.2:
            municipality = municipality.lower()  # typed by hand; rules ignore case
        created = base + timedelta(days=rng.randrange(0, 3 * 365), minutes=rng.randrange(1440))
        consent = None
        if rng.random() < 0.8:
            consent = created - timedelta(days=rng.randrange(0, 60))
        people.append(
            Person(
                id=i,
                email=f"persoon{i}@{domain}",
                domain=domain,
                org_type=rng.choice([t.value for t in OrgType]),
                municipality=municipality,
                language="en" if rng.random() < 0.15 else "nl",
                status=rng.choices(
                    ["subscribed", "pending", "unsubscribed", "bounced", "complained"],
                    weights=[75, 8, 10, 5, 2],
                )[0],
                themes=frozenset(rng.sample(slugs, rng.randrange(0, 5))),
                consent_at=consent,
                created_at=created,
            )
        )
    suppressed_addresses = {p.email for p in rng.sample(people, 60)}
    suppressed_domains = {"ondernemer-b.nl"}
    now = datetime(2022, 2, 1, tzinfo=UTC)
    with store.begin() as db:
        db.execute(
            insert(subscribers),
            [
                {
                    "id": p.id,
                    "email": p.email,
                    "domain": p.domain,
                    "org_type": p.org_type,
                    "municipality": p.municipality,
                    "language": p.language,
                    "status": p.status,
                    "consent_at": p.consent_at,
                    "created_at": p.created_at,
                    "updated_at": p.created_at,
                }
                for p in people
            ],
        )
        theme_rows = [{"subscriber_id": p.id, "theme": t} for p in people for t in p.themes]
        db.execute(insert(subscriber_themes), theme_rows)
        db.execute(
            insert(suppressions),
            [
                {"kind": "address", "value": v, "reason": "bounced", "created_at": now}
                for v in sorted(suppressed_addresses)
            ]
            + [
                {"kind": "domain", "value": v, "reason": "manual", "created_at": now}
                for v in sorted(suppressed_domains)
            ],
        )
        send_rows = [
            {
                "id": f"send-{edition}",
                "edition_id": edition,
                "provider": "memory",
                "is_test": False,
                "status": "done",
                "created_at": datetime(2021, 8, 1, tzinfo=UTC) + timedelta(days=40 * n),
            }
            for n, edition in enumerate(EDITIONS)
        ]
        send_rows.append(
            {
                "id": "send-test",
                "edition_id": "2022-03",
                "provider": "memory",
                "is_test": True,
                "status": "done",
                "created_at": datetime(2022, 3, 1, tzinfo=UTC),
            }
        )
        db.execute(insert(sends), send_rows)
        event_rows = []
        for p in people:
            for edition in [*EDITIONS, "2022-03"]:
                roll = rng.random()
                if roll < 0.12:
                    kind = rng.choice(["opened", "clicked"])
                    if edition != "2022-03":
                        p.engaged_editions.add(edition)
                elif roll < 0.2:
                    kind = "delivered"  # not engagement
                else:
                    continue
                event_rows.append(
                    {
                        "provider": "memory",
                        "provider_event_id": f"{p.id}-{edition}-{len(event_rows)}",
                        "type": kind,
                        "email": p.email,
                        "edition_id": edition,
                        "occurred_at": now,
                        "data": {},
                    }
                )
        db.execute(insert(events), event_rows)
    if store.dialect == "postgresql":
        with store.begin() as db:
            db.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('subscribers', 'id'), "
                "(SELECT max(id) FROM subscribers))"
            )
    return Population(people, suppressed_addresses, suppressed_domains, EDITIONS)
