"""Privacy: the right of access (export_person) and erasure that leaves no trace."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, inspect, select, text

from varcomms import audience
from varcomms.audience.suppression import erasure_key
from varcomms.context import Context
from varcomms.delivery.erasure import erase
from varcomms.errors import NotFoundError
from varcomms.store.schema import deliveries, events, items, sends, suppressions

WHEN = datetime(2022, 1, 20, 9, 0, tzinfo=UTC)
ADDRESS = "j.jansen@rotterdam.nl"


def import_people(ctx: Context, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "email,name,first_name,organisation,org_type,themes,consent_source,consent_at\n"
        "J.Jansen@Rotterdam.nl,Jan Jansen,Jan,Gemeente Rotterdam,gemeente,"
        "ondermijning|privacy,formulier,2021-03-01T10:00:00+01:00\n"
        "a.bakker@politie.nl,Anja Bakker,Anja,Politie,politie,ondermijning,formulier,\n",
        encoding="utf-8",
    )
    audience.import_csv(ctx, path)


def record_history(ctx: Context) -> None:
    """What other stages write about a person: a send ledger, webhook events, text."""
    with ctx.store.begin() as db:
        db.execute(
            insert(sends).values(
                id="s1",
                edition_id="2022-01",
                provider="memory",
                is_test=False,
                status="done",
                created_at=WHEN,
                note="retried J.Jansen@Rotterdam.nl by hand",
            )
        )
        db.execute(
            insert(deliveries),
            [
                {
                    "send_id": "s1",
                    "edition_id": "2022-01",
                    "recipient_key": ADDRESS,
                    "email": ADDRESS,
                    "subscriber_id": 1,
                    "variant": "ondermijning",
                    "state": "sent",
                    "attempts": 1,
                    "error": "450 mailbox <J.JANSEN@rotterdam.nl> busy, retried",
                    "updated_at": WHEN,
                },
                {
                    "send_id": "s1",
                    "edition_id": "2022-01",
                    "recipient_key": "a.bakker@politie.nl",
                    "email": "a.bakker@politie.nl",
                    "subscriber_id": 2,
                    "variant": "ondermijning",
                    "state": "sent",
                    "attempts": 1,
                    "error": None,
                    "updated_at": WHEN,
                },
            ],
        )
        db.execute(
            insert(events),
            [
                {
                    "provider": "mailgun",
                    "provider_event_id": "ev1",
                    "type": "opened",
                    "email": ADDRESS,
                    "edition_id": "2022-01",
                    "occurred_at": WHEN,
                    "data": {"recipient": "J.Jansen@Rotterdam.nl", "tags": [ADDRESS], "ip": "x"},
                },
                {
                    "provider": "mailgun",
                    "provider_event_id": "ev2",
                    "type": "clicked",
                    "email": "a.bakker@politie.nl",
                    "edition_id": "2022-01",
                    "occurred_at": WHEN,
                    "data": {"recipient": "a.bakker@politie.nl"},
                },
            ],
        )
        db.execute(
            insert(items).values(
                id="i1",
                source="redactie",
                kind="manual",
                url="https://example.org/x",
                title="Vragen? Mail j.jansen@rotterdam.nl",
                summary_html="<p>Contact: J.Jansen@rotterdam.nl</p>",
                themes=[],
                status="new",
                content_hash="h",
                first_seen=WHEN,
                last_seen=WHEN,
            )
        )
    audience.suppress(ctx.store, ADDRESS, kind="address", reason="bounced", source="t", now=WHEN)


def every_value(ctx: Context) -> list[tuple[str, str]]:
    """Every cell of every table in the database, as (table, text)."""
    found = []
    with ctx.store.connect() as db:
        for table in inspect(db).get_table_names():
            for row in db.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 - names from the db
                for value in row:
                    shown = (
                        json.dumps(value, default=str)
                        if isinstance(value, dict | list)
                        else str(value)
                    )
                    found.append((table, shown))
    return found


def test_erase_leaves_no_trace_of_the_address(actx: Context, tmp_path: Path) -> None:
    import_people(actx, tmp_path)
    record_history(actx)
    assert any("jansen" in v.lower() for _, v in every_value(actx))  # the scan can see it

    report = erase(actx, "J.Jansen@ROTTERDAM.nl")

    assert report.subscriber
    leftovers = [(t, v) for t, v in every_value(actx) if "jansen" in v.lower()]
    # Published content (the item pool) is not the person's record: reported, not rewritten.
    assert {t for t, _ in leftovers} == {"items"}
    assert any("1 collected item" in note for note in report.notes)
    with actx.store.connect() as db:
        # Anonymous counts survive: the ledger and the events keep their rows.
        assert db.execute(select(func.count()).select_from(deliveries)).scalar_one() == 2
        assert db.execute(select(func.count()).select_from(events)).scalar_one() == 2
        kinds = db.execute(select(suppressions.c.kind, suppressions.c.reason)).all()
        erased = db.execute(select(deliveries).where(deliveries.c.id == 1)).one()
    assert sorted(kinds) == [("hash", "erased")]
    assert erased.email.startswith("erased:") and erased.subscriber_id is None
    assert erased.recipient_key == erased.email
    assert erased.message_id is None and erased.provider_message_id is None
    # The other person is untouched.
    assert audience.get_subscriber(actx.store, "a.bakker@politie.nl").name == "Anja Bakker"
    assert audience.export_person(actx, "a.bakker@politie.nl")["events"][0]["type"] == "clicked"


def test_erased_people_are_not_imported_again(actx: Context, tmp_path: Path) -> None:
    import_people(actx, tmp_path)
    erase(actx, ADDRESS)
    again = erase(actx, ADDRESS)  # repeating is harmless
    assert again.total == 0
    import_people(actx, tmp_path)
    assert audience.find_subscriber(actx.store, ADDRESS) is None
    key = erasure_key(actx)
    assert audience.is_suppressed(actx.store, ADDRESS, key=key)
    assert not audience.is_suppressed(actx.store, ADDRESS)  # without the key: only a hash


def test_without_an_erasure_key_a_private_key_file_is_made(actx: Context) -> None:
    first = erasure_key(actx)
    path = actx.config.data_dir / "erasure.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert erasure_key(actx) == first


def test_export_person_holds_everything(actx: Context, tmp_path: Path) -> None:
    import_people(actx, tmp_path)
    record_history(actx)
    data: dict[str, Any] = audience.export_person(actx, "J.JANSEN@rotterdam.nl")
    json.dumps(data)  # JSON-ready
    assert data["email"] == ADDRESS
    subscriber = data["subscriber"]
    assert subscriber["name"] == "Jan Jansen"
    assert subscriber["themes"] == ["ondermijning", "privacy"]
    assert subscriber["consent"] == {
        "source": "formulier",
        "consented_at": "2021-03-01T09:00:00+00:00",
        "confirmed_at": None,
    }
    assert [d["edition_id"] for d in data["deliveries"]] == ["2022-01"]
    assert data["events"][0]["type"] == "opened"
    assert data["events"][0]["data"]["recipient"] == "J.Jansen@Rotterdam.nl"
    assert data["suppressions"][0]["reason"] == "bounced"


def test_export_person_of_a_stranger_is_not_found(actx: Context) -> None:
    with pytest.raises(NotFoundError):
        audience.export_person(actx, "niemand@example.org")
