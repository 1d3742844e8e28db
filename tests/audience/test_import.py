"""CSV import: messy real-world files, per-line outcomes, rejects, idempotence, dry runs,
and the rule that nobody who left is ever silently subscribed again."""

from __future__ import annotations

import csv
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from tests.audience.conftest import AUDIENCE_FIXTURES
from tests.conftest import ROOT
from varcomms import audience
from varcomms.config import CsvMapping
from varcomms.context import Context
from varcomms.delivery.erasure import erase
from varcomms.errors import InputError
from varcomms.store.schema import subscriber_themes, subscribers, suppressions

SEEDED = datetime(2021, 1, 1, tzinfo=UTC)


def copy_fixture(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copy(AUDIENCE_FIXTURES / name, target)
    return target


def seed(ctx: Context, email: str, *, themes: tuple[str, ...] = (), **values: Any) -> None:
    row = {
        "email": email,
        "org_type": "other",
        "language": "nl",
        "status": "subscribed",
        "created_at": SEEDED,
        "updated_at": SEEDED,
        **values,
    }
    with ctx.store.begin() as db:
        subscriber_id = db.execute(insert(subscribers).values(**row)).inserted_primary_key[0]
        for theme in themes:
            db.execute(insert(subscriber_themes).values(subscriber_id=subscriber_id, theme=theme))


def seed_dutch_excel(ctx: Context) -> None:
    seed(ctx, "k.devos@capelle.nl", status="unsubscribed", name="Karin de Vos")
    seed(
        ctx,
        "r.mulder@riec.nl",
        name="Rob Mulder",
        first_name="Rob",
        organisation="RIEC",
        org_type="riec",
        municipality="Rotterdam",
        themes=("ondermijning",),
    )
    seed(
        ctx,
        "e.dekker@lansingerland.nl",
        name="Eva Dekker",
        first_name="Eva",
        organisation="Gemeente Lansingerland",
        org_type="gemeente",
        municipality="Lansingerland",
        themes=("monitoring",),
    )
    audience.suppress(
        ctx.store, "spam-bv.example", kind="domain", reason="complaint", source="test", now=SEEDED
    )


def table_snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    with ctx.store.connect() as db:
        return {
            table.name: sorted(tuple(map(str, row)) for row in db.execute(select(table)))
            for table in (subscribers, subscriber_themes, suppressions)
        }


EXPECTED = {
    2: ("added", None),
    3: ("skipped", "duplicate of line 2"),
    4: ("skipped", "bad address"),
    5: ("skipped", "unknown theme 'fietsendiefstal'"),
    6: ("added", None),
    7: ("added", None),
    9: ("skipped", "previously unsubscribed"),
    11: ("skipped", "domain spam-bv.example is on the suppression list"),
    12: ("added", None),
    13: ("skipped", "cannot read the time 'gisteren'"),
    14: ("skipped", "unknown organisation type 'brandweer'"),
    15: ("added", "suppression list only"),
    16: ("updated", None),
    17: ("unchanged", None),
}


def outcomes_by_line(ctx: Context, path: Path, **options: Any) -> tuple[Any, dict[int, Any]]:
    lines: dict[int, Any] = {}
    report = audience.import_csv(
        ctx, path, on_line=lambda o: lines.__setitem__(o.line, o), **options
    )
    return report, lines


def test_dutch_excel_export_good_rows_in_bad_rows_reported(actx: Context, tmp_path: Path) -> None:
    seed_dutch_excel(actx)
    path = copy_fixture("dutch-excel.csv", tmp_path)
    report, lines = outcomes_by_line(actx, path)

    assert report.mapping == "varcomms"
    assert (report.encoding, report.delimiter) == ("utf-8-sig", "semicolon")
    assert sorted(lines) == sorted(EXPECTED)  # the blank ";;;;" line is not a record
    for number, (outcome, reason) in EXPECTED.items():
        assert lines[number].outcome == outcome, (number, lines[number])
        if reason:
            assert reason in (lines[number].reason or ""), (number, lines[number])
    assert [o.line for o in report.skipped] == [3, 4, 5, 9, 11, 13, 14]
    assert report.count("added") == 5 and report.count("updated") == 1
    assert lines[16].changes == ("organisation", "themes")

    jansen = audience.get_subscriber(actx.store, "J.JANSEN@rotterdam.nl")
    assert jansen.email == "j.jansen@rotterdam.nl"
    assert jansen.organisation == "Gemeente Rotterdam; Stadsbeheer"  # quoted separator
    assert jansen.themes == ("cybercriminaliteit", "ondermijning")
    assert jansen.consent_at == datetime(2021, 3, 1, 9, 0, tzinfo=UTC)
    samira = audience.get_subscriber(actx.store, "s.el-amrani@vlaardingen.nl")
    assert samira.org_type == "gemeente" and samira.status == "subscribed"
    assert samira.themes == ("jeugd-alcohol-drugs", "veilig-wonen")  # labels, comma inside
    assert samira.consent_at == datetime(2021, 2, 15, 8, 30, tzinfo=UTC)  # Dutch date, CET
    piet = audience.get_subscriber(actx.store, "p.pietersen@om.nl")
    assert (piet.name, piet.org_type) == ("Piet Pietersen", "om")  # line break inside quotes
    assert audience.get_subscriber(actx.store, "m.yilmaz@zorg.example").language == "en"
    assert audience.get_subscriber(actx.store, "k.devos@capelle.nl").status == "unsubscribed"
    assert audience.find_subscriber(actx.store, "oud.lid@barendrecht.nl") is None
    assert audience.is_suppressed(actx.store, "Oud.Lid@barendrecht.nl")
    assert audience.get_subscriber(actx.store, "r.mulder@riec.nl").organisation == (
        "RIEC Rotterdam (regio)"
    )

    # The rejects file holds the skipped rows as they were, in line order, with reasons.
    assert report.rejects_path == tmp_path / "dutch-excel.rejects.csv"
    text = report.rejects_path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert rows[0][-2:] == ["reject_line", "reject_reason"]
    assert [int(r[-2]) for r in rows[1:]] == [3, 4, 5, 9, 11, 13, 14]
    assert rows[2][0] == "jan.devries@@schiedam.nl"


def test_reimport_changes_nothing(actx: Context, tmp_path: Path) -> None:
    seed_dutch_excel(actx)
    path = copy_fixture("dutch-excel.csv", tmp_path)
    audience.import_csv(actx, path)
    before = table_snapshot(actx)
    actx.clock.advance(days=1)
    again, _lines = outcomes_by_line(actx, path)
    assert table_snapshot(actx) == before
    assert again.count("added") == 0 and again.count("updated") == 0
    assert again.count("unchanged") == 7
    assert [o.line for o in again.skipped] == [3, 4, 5, 9, 11, 13, 14]


def test_dry_run_reports_the_same_and_writes_nothing(actx: Context, tmp_path: Path) -> None:
    seed_dutch_excel(actx)
    path = copy_fixture("dutch-excel.csv", tmp_path)
    before = table_snapshot(actx)
    dry = audience.import_csv(actx, path, dry_run=True)
    assert table_snapshot(actx) == before
    assert not (tmp_path / "dutch-excel.rejects.csv").exists()
    assert dry.rejects_path is None
    real = audience.import_csv(actx, path)
    assert dry.counts == real.counts
    assert [o.reason for o in dry.skipped] == [o.reason for o in real.skipped]


def test_duplicates_across_batches_are_caught(actx: Context, tmp_path: Path) -> None:
    actx.config = actx.config.model_copy(
        update={"audience": actx.config.audience.model_copy(update={"batch_size": 2})}
    )
    path = tmp_path / "dups.csv"
    path.write_text(
        "email,name\na@example.org,A\nb@example.org,B\nc@example.org,C\nA@Example.org,A2\n",
        encoding="utf-8",
    )
    report = audience.import_csv(actx, path)
    assert report.count("added") == 3
    assert [(o.line, o.reason) for o in report.skipped] == [(5, "duplicate of line 2")]
    assert audience.get_subscriber(actx.store, "a@example.org").name == "A"


def test_nobody_who_left_is_resubscribed_and_opt_outs_are_honoured(
    actx: Context, tmp_path: Path
) -> None:
    seed(actx, "weg@example.org", status="bounced")
    seed(actx, "klaagt@example.org", status="complained")
    seed(actx, "blijft@example.org", status="subscribed")
    seed(actx, "wacht@example.org", status="pending")
    path = tmp_path / "statuses.csv"
    path.write_text(
        "email,status\n"
        "weg@example.org,subscribed\n"
        "klaagt@example.org,pending\n"
        "blijft@example.org,unsubscribed\n"
        "wacht@example.org,subscribed\n",
        encoding="utf-8",
    )
    report = audience.import_csv(actx, path)
    assert [(o.line, o.reason) for o in report.skipped] == [
        (2, "previously bounced; an import never resubscribes"),
        (3, "previously complained; an import never resubscribes"),
    ]
    status = {
        e: audience.get_subscriber(actx.store, e).status
        for e in (
            "weg@example.org",
            "klaagt@example.org",
            "blijft@example.org",
            "wacht@example.org",
        )
    }
    assert status == {
        "weg@example.org": "bounced",
        "klaagt@example.org": "complained",
        "blijft@example.org": "unsubscribed",
        "wacht@example.org": "subscribed",
    }
    recipients = [s.email for s in audience.iter_recipients(actx.store)]
    assert recipients == ["wacht@example.org"]


def test_suppressed_address_is_skipped(actx: Context, tmp_path: Path) -> None:
    audience.suppress(
        actx.store, "Geblokt@Example.org", kind="address", reason="manual", source="t", now=SEEDED
    )
    path = tmp_path / "s.csv"
    path.write_text("email\ngeblokt@example.org\nvrij@example.org\n", encoding="utf-8")
    report = audience.import_csv(actx, path)
    assert [(o.line, o.reason) for o in report.skipped] == [(2, "on the suppression list (manual)")]


def test_mailchimp_exports(actx: Context, tmp_path: Path) -> None:
    first = audience.import_csv(actx, copy_fixture("mailchimp-subscribed.csv", tmp_path))
    assert first.mapping == "mailchimp" and first.count("added") == 2
    anne = audience.get_subscriber(actx.store, "anne.mol@maassluis.nl")
    assert (anne.name, anne.first_name) == ("Anne Mol", "Anne")
    assert anne.themes == ("cybercriminaliteit", "jeugd-alcohol-drugs")
    assert anne.consent_at == datetime(2020, 9, 14, 8, 12, 40, tzinfo=UTC)  # UTC in exports
    assert anne.confirmed_at == datetime(2020, 9, 14, 8, 13, 2, tzinfo=UTC)
    assert anne.consent_source == "mailchimp"
    assert any("MEMBER_RATING" in note for note in first.notes)

    _unsubscribed, lines = outcomes_by_line(
        actx, copy_fixture("mailchimp-unsubscribed.csv", tmp_path)
    )
    assert lines[2].outcome == "updated" and lines[2].changes == ("status",)
    assert audience.get_subscriber(actx.store, "bram.koster@politie.nl").status == "unsubscribed"
    assert lines[3].outcome == "added"  # an opt-out we did not know: suppression only
    assert audience.find_subscriber(actx.store, "weg@hellevoetsluis.nl") is None
    assert audience.is_suppressed(actx.store, "weg@hellevoetsluis.nl")

    audience.import_csv(actx, copy_fixture("mailchimp-cleaned.csv", tmp_path))
    assert audience.get_subscriber(actx.store, "anne.mol@maassluis.nl").status == "bounced"
    # The subscribed file again (an old copy) does not bring either of them back.
    again = audience.import_csv(actx, copy_fixture("mailchimp-subscribed.csv", tmp_path))
    assert again.count("skipped") == 2
    assert list(audience.iter_recipients(actx.store)) == []


def test_laposta_export(actx: Context, tmp_path: Path) -> None:
    report = audience.import_csv(actx, copy_fixture("laposta.csv", tmp_path))
    assert report.mapping == "laposta"
    assert report.count("added") == 3
    fatima = audience.get_subscriber(actx.store, "fatima.bouzid@schiedam.nl")
    assert (fatima.name, fatima.status, fatima.municipality) == (
        "Fatima Bouzid",
        "subscribed",
        "Schiedam",
    )
    assert fatima.consent_at == datetime(2021, 4, 12, 12, 3, 11, tzinfo=UTC)  # local → UTC
    assert audience.get_subscriber(actx.store, "h.de.graaf@example.org").status == "pending"
    assert audience.find_subscriber(actx.store, "g.van.dijk@nissewaard.nl") is None
    assert audience.is_suppressed(actx.store, "g.van.dijk@nissewaard.nl")
    assert "Gewijzigd" in " ".join(report.notes)


def test_custom_mapping_from_config(actx: Context, tmp_path: Path) -> None:
    mapping = CsvMapping(
        columns={
            "email": "E-mail adres",
            "name": "Naam",
            "themes": "Interesses",
            "org_type": "Soort organisatie",
        },
        theme_separator="/",
        values={"org_type": {"Gem.": "gemeente"}},
        defaults={"consent_source": "ledenlijst 2021"},
    )
    settings = actx.config.audience.model_copy(update={"mappings": {"ledenlijst": mapping}})
    actx.config = actx.config.model_copy(update={"audience": settings})
    path = tmp_path / "leden.csv"
    path.write_text(
        "Naam\tE-mail adres\tInteresses\tSoort organisatie\n"
        "Ida Kok\tida.kok@maassluis.nl\tPrivacy / monitoring\tGem.\n",
        encoding="utf-8",
    )
    report = audience.import_csv(actx, path)
    assert (report.mapping, report.delimiter, report.count("added")) == ("ledenlijst", "tab", 1)
    ida = audience.get_subscriber(actx.store, "ida.kok@maassluis.nl")
    assert ida.themes == ("monitoring", "privacy")
    assert (ida.org_type, ida.consent_source) == ("gemeente", "ledenlijst 2021")


def test_windows_1252_file_is_read_and_noted(actx: Context, tmp_path: Path) -> None:
    path = tmp_path / "oud-excel.csv"
    path.write_bytes("email;name\nc.bronte@example.org;Zoë Brontë\n".encode("cp1252"))
    report = audience.import_csv(actx, path)
    assert report.encoding == "cp1252" and report.notes
    assert audience.get_subscriber(actx.store, "c.bronte@example.org").name == "Zoë Brontë"


def test_unrecognised_header_is_a_clear_error(actx: Context, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("naam,telefoon\nA,010\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"x\.csv:1: no mapping recognises") as caught:
        audience.import_csv(actx, path)
    assert "--mapping" in (caught.value.hint or "")
    with pytest.raises(InputError, match="unknown mapping 'hubspot'"):
        audience.import_csv(actx, path, mapping="hubspot")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        audience.import_csv(actx, empty)


def test_long_values_are_rejected_not_truncated(actx: Context, tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(f"email,organisation\nx@example.org,{'O' * 201}\n", encoding="utf-8")
    report = audience.import_csv(actx, path)
    assert report.skipped[0].reason == "organisation is longer than 200 characters"


def test_export_then_import_is_a_round_trip(actx: Context, tmp_path: Path) -> None:
    seed_dutch_excel(actx)
    audience.import_csv(actx, copy_fixture("dutch-excel.csv", tmp_path))
    exported = tmp_path / "export.csv"
    written = audience.export_csv(actx.store, exported)
    assert written == 7
    header = exported.read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "email,name,first_name,organisation,org_type,municipality,themes,language,status,"
        "consent_source,consent_at,confirmed_at"
    )
    before = table_snapshot(actx)
    report = audience.import_csv(actx, exported)
    assert report.count("unchanged") == report.total == 7  # the unsubscribed one too
    assert table_snapshot(actx) == before


def test_no_personal_data_in_logs(actx: Context, tmp_path: Path, caplog) -> None:
    seed_dutch_excel(actx)
    caplog.set_level(logging.INFO)
    audience.import_csv(actx, copy_fixture("dutch-excel.csv", tmp_path))
    erase(actx, "j.jansen@rotterdam.nl")
    assert caplog.records, "the import logs a summary"
    for record in caplog.records:
        message = record.getMessage()
        assert "@" not in message and "Jansen" not in message, message


def test_progress_reaches_the_last_line(actx: Context, tmp_path: Path) -> None:
    actx.config = actx.config.model_copy(
        update={"audience": actx.config.audience.model_copy(update={"batch_size": 4})}
    )
    calls: list[tuple[int, int]] = []
    audience.import_csv(
        actx, copy_fixture("dutch-excel.csv", tmp_path), progress=lambda d, t: calls.append((d, t))
    )
    assert len(calls) == 4  # 14 records in batches of 4
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (17, 17)  # 17 physical lines, one record spanning two


def test_custom_mapping_in_the_configuration_file(tmp_path: Path) -> None:
    import tomllib

    from varcomms.config import ConfigError, parse_config

    raw = tomllib.loads((ROOT / "varcomms.toml").read_text(encoding="utf-8"))
    raw["audience"] = {
        "mappings": {
            "crm": {
                "columns": {"email": "E-mail", "name": ["Naam", "Volledige naam"]},
                "defaults": {"status": "subscribed"},
            }
        }
    }
    config = parse_config(raw, source_file=tmp_path / "varcomms.toml")
    assert config.audience.mappings["crm"].columns["name"] == ("Naam", "Volledige naam")
    raw["audience"]["mappings"]["crm"]["columns"] = {"mail": "E-mail"}
    with pytest.raises(ConfigError, match="unknown field 'mail'"):
        parse_config(raw, source_file=tmp_path / "varcomms.toml")
