"""Security audit 2026-12, erasure findings: F1 (erase by key), F2 (erasure key), F3 (files),
F10 (re-identifiable ledger rows), F11 (re-used ids). Each test is named after its finding
and tests the class of bug, not only the audit's reproduction."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select, text

from varcomms import audience
from varcomms.audience.suppression import ErasureKey, erasure_key
from varcomms.config import Secrets
from varcomms.context import Context
from varcomms.delivery.erasure import erase
from varcomms.errors import InputError, StateError
from varcomms.store.schema import deliveries, events, sends, subscribers, suppressions

WHEN = datetime(2022, 1, 20, 9, 0, tzinfo=UTC)
SIGNING = "test-signing-key-0123456789abcdef"


def write_csv(tmp_path: Path, body: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, comparable."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with ctx.store.connect() as db:
        for table in sorted(inspect(db).get_table_names()):
            rows = db.execute(text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
            found[table] = sorted(
                tuple(json.dumps(v, default=str, sort_keys=True) for v in row) for row in rows
            )
    return found


def every_value(ctx: Context) -> list[tuple[str, str]]:
    return [(t, cell) for t, rows in snapshot(ctx).items() for row in rows for cell in row]


NEIGHBOURS = (
    "email,name,status\n"
    "jan@example.org,Jan Erasmus,subscribed\n"
    "marjan@example.org,Marjan,subscribed\n"
    "jan@example.org.uk,Jan UK,subscribed\n"
    "jan.de.vries@example.org,Jan de Vries,subscribed\n"
    "x.jan@example.org,X Jan,subscribed\n"
    "jan@sub.example.org,Jan Sub,subscribed\n"
    "marijan@example.org,Marijan,unsubscribed\n"
    "jan@example.org.nl,Opt Out,unsubscribed\n"
    "x@a.nl,X,subscribed\n"
    "x@a.nl.uk,X UK,subscribed\n"
)


def add_ledger(ctx: Context, rows: list[tuple[str, str | None]]) -> None:
    """A send with one ledger row and one event per (address, error)."""
    with ctx.store.begin() as db:
        db.execute(
            insert(sends).values(
                id="s1",
                edition_id="2022-01",
                provider="memory",
                is_test=False,
                status="finished",
                created_at=WHEN,
            )
        )
        for n, (address, error) in enumerate(rows):
            db.execute(
                insert(deliveries).values(
                    send_id="s1",
                    edition_id="2022-01",
                    recipient_key=address,
                    email=address,
                    variant="algemeen",
                    state="sent",
                    attempts=1,
                    message_id=f"<2022-01.{n:024x}@example.org>",
                    provider_message_id=f"pm-{n}",
                    error=error,
                    updated_at=WHEN,
                )
            )
            db.execute(
                insert(events).values(
                    provider="mailgun",
                    provider_event_id=f"ev{n}",
                    type="opened",
                    email=address,
                    edition_id="2022-01",
                    occurred_at=WHEN,
                    data={"recipient": address, "note": error},
                )
            )


# -- F1: erase removes exactly one person, by key ------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "@example.org",
        "example.org",
        "a",
        "jan",
        "%",
        "",
        "  ",
        "jan@example..org",
        "jan@example.org, marjan@example.org",
        "jan@",
        "erased:",
    ],
)
def test_f1_erase_refuses_anything_but_one_valid_address(
    actx: Context, tmp_path: Path, value: str
) -> None:
    audience.import_csv(actx, write_csv(tmp_path, NEIGHBOURS))
    add_ledger(actx, [("jan@example.org", None), ("marjan@example.org", None)])
    before = snapshot(actx)
    with pytest.raises(InputError, match="not one valid address"):
        erase(actx, value)
    assert snapshot(actx) == before


def test_f1_erase_leaves_neighbours_and_opt_outs_untouched(actx: Context, tmp_path: Path) -> None:
    audience.import_csv(actx, write_csv(tmp_path, NEIGHBOURS))
    audience.suppress(
        actx.store, "old.example.org", kind="domain", reason="manual", source="t", now=WHEN
    )
    neighbours = [
        "marjan@example.org",
        "jan@example.org.uk",
        "jan.de.vries@example.org",
        "x.jan@example.org",
        "jan@sub.example.org",
    ]
    add_ledger(
        actx,
        [
            ("jan@example.org", "450 <jan@example.org> busy"),
            *[(n, f"450 <{n}> busy") for n in neighbours],
        ],
    )
    suppressions_before = sorted(audience.list_suppressions(actx.store), key=lambda s: s.value)
    before = {a: audience.get_subscriber(actx.store, a).to_dict() for a in neighbours}

    report = erase(actx, "  JAN@Example.ORG ")

    assert report.subscriber
    after = {a: audience.get_subscriber(actx.store, a).to_dict() for a in neighbours}
    assert after == before
    assert audience.find_subscriber(actx.store, "jan@example.org") is None
    remaining = sorted(
        (s for s in audience.list_suppressions(actx.store) if s.kind != "hash"),
        key=lambda s: s.value,
    )
    assert remaining == suppressions_before  # every opt-out, byte for byte
    with actx.store.connect() as db:
        ledger = {r.email: r for r in db.execute(select(deliveries))}
        logged = {r.email: r for r in db.execute(select(events))}
    for n in neighbours:
        assert ledger[n].error == f"450 <{n}> busy"
        assert ledger[n].message_id is not None
        assert logged[n].data == {"recipient": n, "note": f"450 <{n}> busy"}
    # The erased person's free text is scrubbed where the address is a whole token.
    erased = [row for email, row in ledger.items() if email.startswith("erased:")]
    assert [row.error for row in erased] == ["450 <[erased]> busy"]
    # Marijan unsubscribed; a later import still cannot subscribe her again.
    again = audience.import_csv(
        actx, write_csv(tmp_path, "email,status\nmarijan@example.org,subscribed\n", "m.csv")
    )
    assert again.count(audience.ImportOutcome.SKIPPED) == 1
    assert audience.find_subscriber(actx.store, "marijan@example.org") is None


def test_f1_erase_matches_case_variants_and_idn_forms_only(actx: Context, tmp_path: Path) -> None:
    audience.import_csv(
        actx,
        write_csv(
            tmp_path,
            "email,name\n"
            "Jan@München.de,Jan München\n"
            "anjan@münchen.de,Anjan\n"
            "jan@münchen.de.example,Jan Elders\n"
            "jan@muenchen.de,Jan Muenchen\n",
        ),
    )
    # The ledger may hold the ASCII (IDNA) spelling of the same person.
    add_ledger(actx, [("jan@xn--mnchen-3ya.de", None), ("anjan@xn--mnchen-3ya.de", None)])

    report = erase(actx, "JAN@XN--MNCHEN-3YA.DE")

    assert report.subscriber
    assert audience.find_subscriber(actx.store, "jan@münchen.de") is None
    for other in ("anjan@münchen.de", "jan@münchen.de.example", "jan@muenchen.de"):
        assert audience.find_subscriber(actx.store, other) is not None
    values = " ".join(v for _, v in every_value(actx)).lower()
    assert "jan@xn--mnchen-3ya.de" not in values.replace("anjan@", "")
    assert "anjan@xn--mnchen-3ya.de" in values
    assert "jan münchen" not in values


def test_f1_erase_never_rewrites_other_tables(actx: Context, tmp_path: Path) -> None:
    """Items, themes, sources and hashes are never searched: only keyed rows change."""
    audience.import_csv(actx, write_csv(tmp_path, NEIGHBOURS))
    erase(actx, "x@a.nl.uk")
    before = snapshot(actx)
    erase(actx, "x@a.nl")
    after = snapshot(actx)
    changed = {t for t in before if before[t] != after[t]}
    assert changed <= {"subscribers", "suppressions"}
    assert audience.find_subscriber(actx.store, "x@a.nl") is None
    assert len([s for s in audience.list_suppressions(actx.store) if s.kind == "hash"]) == 2


# -- F2: the erasure key is its own; unreadable hashes stop imports and sends --------------------


def test_f2_erasure_survives_a_signing_key_rotation(actx: Context, tmp_path: Path) -> None:
    people = write_csv(tmp_path, "email\nkarim@vlaardingen.example.org\nother@example.org\n")
    actx.secrets = Secrets({"VARCOMMS_SIGNING_KEY": SIGNING})
    audience.import_csv(actx, people)
    erase(actx, "karim@vlaardingen.example.org")
    for secrets in (
        {},  # editors import without any secret
        {"VARCOMMS_SIGNING_KEY": "a-completely-new-signing-key-1234"},
    ):
        actx.secrets = Secrets(secrets)
        report = audience.import_csv(actx, people)
        assert report.count(audience.ImportOutcome.ADDED) == 0
        assert audience.find_subscriber(actx.store, "karim@vlaardingen.example.org") is None


def test_f2_a_rotated_erasure_key_keeps_checking_old_hashes(actx: Context, tmp_path: Path) -> None:
    people = write_csv(tmp_path, "email\nkarim@example.org\n")
    actx.secrets = Secrets({"VARCOMMS_ERASURE_KEY": "erasure-key-one-0123456789"})
    audience.import_csv(actx, people)
    erase(actx, "karim@example.org")
    actx.secrets = Secrets(
        {
            "VARCOMMS_ERASURE_KEY": "erasure-key-two-0123456789",
            "VARCOMMS_ERASURE_OLD_KEYS": "erasure-key-one-0123456789",
        }
    )
    report = audience.import_csv(actx, people)
    assert report.count(audience.ImportOutcome.SKIPPED) == 1
    assert audience.find_subscriber(actx.store, "karim@example.org") is None


def test_f2_unreadable_hashes_stop_an_import(actx: Context, tmp_path: Path) -> None:
    people = write_csv(tmp_path, "email\nkarim@example.org\nnew@example.org\n")
    actx.secrets = Secrets({"VARCOMMS_ERASURE_KEY": "erasure-key-one-0123456789"})
    erase(actx, "karim@example.org")
    actx.secrets = Secrets({"VARCOMMS_ERASURE_KEY": "erasure-key-lost-0123456789"})
    for dry_run in (True, False):
        with pytest.raises(StateError, match="erasure hash"):
            audience.import_csv(actx, people, dry_run=dry_run)
    assert audience.find_subscriber(actx.store, "new@example.org") is None
    forced = audience.import_csv(actx, people, force=True)
    assert any("--force" in note for note in forced.notes)


def test_f2_legacy_hashes_made_with_the_signing_key_are_still_checked(actx: Context) -> None:
    with actx.store.begin() as db:
        db.execute(
            insert(suppressions).values(
                kind="hash",
                value=ErasureKey(SIGNING.encode()).hash("old@example.org"),
                reason="erased",
                created_at=WHEN,
            )
        )
    actx.secrets = Secrets({"VARCOMMS_SIGNING_KEY": SIGNING})
    key = erasure_key(actx)
    assert audience.is_suppressed(actx.store, "old@example.org", key=key)
    new_hash = key.hash("new@example.org")
    assert new_hash != ErasureKey(SIGNING.encode()).hash("new@example.org")
    actx.secrets = Secrets({"VARCOMMS_SIGNING_KEY": "a-completely-new-signing-key-1234"})
    with pytest.raises(StateError):
        erasure_key(actx)


def test_f2_unreadable_hashes_stop_a_send(actx: Context, tmp_path: Path) -> None:
    from tests.delivery.conftest import make_variant, people
    from varcomms.delivery import deliver

    actx.secrets = Secrets({"VARCOMMS_SIGNING_KEY": SIGNING, "VARCOMMS_ERASURE_KEY": "k" * 20})
    erase(actx, "gone@example.org")
    actx.secrets = Secrets({"VARCOMMS_SIGNING_KEY": SIGNING, "VARCOMMS_ERASURE_KEY": "j" * 20})
    with pytest.raises(StateError, match="erasure hash"):
        deliver(
            actx,
            edition_id="2022-02",
            variants={"algemeen": make_variant()},
            recipients=people(3),
        )
    with actx.store.connect() as db:
        assert db.execute(select(sends)).all() == []
        assert db.execute(select(deliveries)).all() == []


# -- F10: erased ledger rows cannot be re-identified or linked ----------------------------------


def test_f10_erased_ledger_rows_keep_nothing_linkable(actx: Context, tmp_path: Path) -> None:
    audience.import_csv(actx, write_csv(tmp_path, "email\nkarim@example.org\n"))
    add_ledger(actx, [("karim@example.org", None)])
    with actx.store.begin() as db:  # a second edition's row for the same person
        db.execute(
            insert(deliveries).values(
                send_id="s1",
                edition_id="2022-02",
                recipient_key="karim@example.org",
                email="karim@example.org",
                variant="algemeen",
                state="sent",
                message_id="<2022-02.abc@example.org>",
                updated_at=WHEN,
            )
        )
    erase(actx, "karim@example.org")
    with actx.store.connect() as db:
        rows = db.execute(select(deliveries)).all()
        digest = db.execute(select(suppressions.c.value)).scalar_one().split(":", 1)[1]
    tokens = {row.email for row in rows}
    assert len(tokens) == 2  # not one shared token
    for row in rows:
        assert row.message_id is None and row.provider_message_id is None
        assert row.recipient_key == row.email
        assert row.email[len("erased:") :] not in digest


# -- F11: subscriber ids are never handed out twice ---------------------------------------------


def test_f11_subscriber_ids_are_never_reused(actx: Context, tmp_path: Path) -> None:
    audience.import_csv(actx, write_csv(tmp_path, "email\na@example.org\nb@example.org\n"))
    audience.import_csv(actx, write_csv(tmp_path, "email\nc@example.org\n", "c.csv"))
    erased_id = audience.get_subscriber(actx.store, "c@example.org").id
    erase(actx, "c@example.org")
    audience.import_csv(actx, write_csv(tmp_path, "email\nnewcomer@example.org\n", "n.csv"))
    newcomer = audience.get_subscriber(actx.store, "newcomer@example.org").id
    assert newcomer > erased_id
    with actx.store.connect() as db:
        assert db.execute(select(subscribers.c.id).where(subscribers.c.id == erased_id)).all() == []


# -- F3: erase reaches the files the tool wrote, and names the ones it cannot --------------------

PERSON = "karim.elamrani@vlaardingen.example.org"
NAME = "Karim El Amrani"


@pytest.fixture
def files_ctx(actx: Context, tmp_path: Path) -> Iterator[Context]:
    """``actx`` with its SQLite database (if SQLite) and the outbox inside ``data/``."""
    from tests.delivery.conftest import with_settings
    from varcomms.store import Store

    data = actx.config.data_dir
    data.mkdir(parents=True, exist_ok=True)
    opened = None
    if actx.store.dialect == "sqlite":
        opened = Store.open(f"sqlite:///{data / 'varcomms.db'}")
        actx.__dict__["store"] = opened
    actx.secrets = Secrets({"VARCOMMS_SIGNING_KEY": SIGNING})
    yield with_settings(
        actx, delivery__rate_per_second=1000.0, provider__outbox__directory=data / "outbox"
    )
    if opened is not None:
        opened.close()


def holds(value: str | bytes, *needles: str) -> bool:
    """The text holds one of the needles as a whole word or address (not inside another)."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return any(
        re.search(rf"(?<![\w.+-]){re.escape(n)}(?!\.?[\w-])", text, re.IGNORECASE) for n in needles
    )


def files_holding(folder: Path, *needles: str) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() and holds(p.read_bytes(), *needles)}


def test_f3_erase_reaches_ledger_and_outbox_and_lists_what_it_cannot(
    files_ctx: Context, tmp_path: Path
) -> None:
    from tests.delivery.conftest import make_variant
    from varcomms.delivery import deliver
    from varcomms.models import Recipient

    ctx = files_ctx
    data = ctx.config.data_dir
    body = (
        "email,name,first_name\n"
        f"{PERSON},{NAME},Karim\n"
        f"marjan.{PERSON},Marjan Neighbour,Marjan\n"
        f"{PERSON}.uk,UK Neighbour,Uk\n"
    )
    audience.import_csv(ctx, write_csv(tmp_path, body))
    # A rejects file in the audiences folder, and a CSV export in data/: beyond reach.
    bad = ctx.config.audiences_dir / "karim-fix.csv"
    bad.write_text(f"email,name,themes\n{PERSON},{NAME},no-such-theme\n", encoding="utf-8")
    audience.import_csv(ctx, bad)
    audience.export_csv(ctx.store, data / "backup-export.csv")
    recipients = [
        Recipient(
            email=r.email,
            variant="algemeen",
            name=r.name,
            first_name=r.first_name,
            subscriber_id=r.id,
        )
        for r in (audience.get_subscriber(ctx.store, a) for a in audience_addresses(ctx))
    ]
    variants = {"algemeen": make_variant()}
    deliver(ctx, edition_id="2022-02", variants=variants, recipients=recipients, dry_run=True)
    deliver(ctx, edition_id="2022-02", variants=variants, recipients=recipients)
    test_copy = Recipient(email=PERSON, variant="algemeen", name=NAME, first_name="Karim")
    deliver(ctx, edition_id="2022-02", variants=variants, recipients=[test_copy], is_test=True)
    outbox = data / "outbox"
    assert files_holding(outbox, PERSON)  # the scan can see the messages
    neighbours_before = files_holding(outbox, "Marjan Neighbour", "UK Neighbour")

    report = erase(ctx, PERSON.upper())

    assert report.subscriber and report.files_removed
    # Nothing in the database holds the address or the name.
    assert [(t, v) for t, v in every_value(ctx) if holds(v, PERSON, NAME)] == []
    # Under data/ only the export still holds them, and erase said so.
    assert files_holding(data, PERSON, NAME) == {data / "backup-export.csv"}
    assert {Path(p) for p in report.not_reached} == {
        data / "backup-export.csv",
        bad,
        ctx.config.audiences_dir / "karim-fix.rejects.csv",
    }
    # The neighbours' messages are all still there.
    assert files_holding(outbox, "Marjan Neighbour", "UK Neighbour") == neighbours_before


def audience_addresses(ctx: Context) -> list[str]:
    with ctx.store.connect() as db:
        return list(db.execute(select(subscribers.c.email).order_by(subscribers.c.id)).scalars())


def test_f3_a_dry_run_keeps_no_per_recipient_files(files_ctx: Context, tmp_path: Path) -> None:
    from tests.delivery.conftest import make_variant, people
    from varcomms.delivery import deliver

    report = deliver(
        files_ctx,
        edition_id="2022-02",
        variants={"algemeen": make_variant()},
        recipients=people(5),
        dry_run=True,
    )
    assert report.sent == 5 and report.outbox is None
    outbox = files_ctx.config.data_dir / "outbox"
    assert [p for p in outbox.rglob("*") if p.is_file()] == []


def test_f1_erase_removes_the_persons_web_sign_ups_only(actx: Context) -> None:
    from varcomms.store.schema import optins

    with actx.store.begin() as db:
        for address in ("jan@example.org", "marjan@example.org", "JAN@example.org"):
            db.execute(
                insert(optins).values(
                    email=address,
                    data={"name": "Jan Erasmus" if "jan@" in address.lower() else "Marjan"},
                    consent_version="v1",
                    source="web",
                    created_at=WHEN,
                    expires_at=WHEN,
                )
            )
    report = erase(actx, "jan@example.org")
    assert report.counts["optins"] == 2
    with actx.store.connect() as db:
        assert list(db.execute(select(optins.c.email)).scalars()) == ["marjan@example.org"]
