"""The year plan: the sample loads, bad plans fail in one line naming file, line and key."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.scheduler.conftest import PLAN_2022, local
from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.scheduler import check_plans, load_plans, read_plan, read_states
from varcomms.scheduler.ics import plan_calendar


def test_the_sample_plan_has_nine_editions_and_the_riec_special() -> None:
    plan = read_plan(PLAN_2022)
    regular = [e for e in plan.editions if e.kind == "regular"]
    special = [e for e in plan.editions if e.kind == "special"]
    assert len(regular) == 9 and len(special) == 1
    assert special[0].segment == "riec-partners"
    assert plan.grace == timedelta(hours=4)
    # Local times: 09:00 is 08:00 UTC in winter and 07:00 UTC in summer.
    assert plan.edition("2022-01").send.astimezone(UTC).hour == 8
    assert plan.edition("2022-03").send.astimezone(UTC).hour == 7
    assert plan.edition("2022-09").send.astimezone(UTC).hour == 8


def test_the_sample_plan_agrees_with_the_sample_edition() -> None:
    from varcomms.config import load_config

    config = load_config(ROOT / "varcomms.toml")
    plans = load_plans(config)
    states = read_states(config)
    findings = check_plans(plans, states, local(2022, 1, 20, 9, 0))
    assert [f for f in findings if f.level == "error"] == []


GOOD = PLAN_2022.read_text(encoding="utf-8")


def _broken(tmp_path: Path, old: str, new: str, name: str = "plan-2022.yaml") -> Path:
    assert old in GOOD
    path = tmp_path / name
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        (
            "    review_deadline: 2022-02-25 12:00",
            "    review_deadline: 2022-03-02 12:00",
            "editions[1].review_deadline",
            "is not before the send",
        ),
        (
            "    send: 2022-03-01 09:00",
            "    send: 2022-02-01 15:00",
            "editions[1].send",
            "the same day as 2022-01",
        ),
        (
            "    audience: riec-partners",
            "    audience: riec-vrienden",
            "editions[6].audience",
            "unknown segment",
        ),
        ("  - id: 2022-02 ", "  - id: 2022-01 ", "editions[1].id", "planned twice"),
        ("grace: 4h", "grace: vier uur", "grace", "duration"),
        ('collect: "0 6 * * *"', 'collect: "0 6 * *"', "collect", "cron"),
        (
            "    send: 2022-03-29 09:00",
            "    send: 2022-03-27 02:30",
            "editions[2].send",
            "does not exist",
        ),
        ("    riec_deadline: 2022-01-26 12:00\n", "", "editions[0]", "riec_deadline"),
        (
            "    send: 2022-02-01 09:00",
            "    send: 2022-02-01 09:00\n    colour: red",
            "editions[0].colour",
            "unknown field",
        ),
        ("year: 2022", "year: 2023", "year", "does not match the file name"),
        (
            "riec: [redactie@riec-rotterdam.nl]",
            "riec: [redactie@riec..rotterdam.nl]",
            "editors.riec",
            "is not an email address",
        ),
    ],
    ids=[
        "deadline-after-send",
        "two-in-one-slot",
        "unknown-segment",
        "duplicate-id",
        "bad-duration",
        "bad-cron",
        "nonexistent-local-time",
        "joint-without-riec-deadline",
        "unknown-key",
        "wrong-year",
        "bad-editor-address",
    ],
)
def test_a_bad_plan_is_one_line_naming_file_line_and_key(
    tmp_path: Path, sample_config: Config, old: str, new: str, key: str, message: str
) -> None:
    from varcomms.scheduler.plan import known_segments

    path = _broken(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        read_plan(path, segments=known_segments(sample_config))
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}:"), text
    assert re.search(rf":\d+: {re.escape(key)}: ", text), text
    assert message in text


def test_editor_addresses_are_kept_in_the_audience_s_normal_form(tmp_path: Path) -> None:
    """Reminders go to the same address the audience would store for that person."""
    path = _broken(
        tmp_path,
        "var: [redactie@veiligheidsalliantie.nl]",
        "var: [Redactie@VeiligheidsAlliantie.NL]",
    )
    assert read_plan(path).editors.var == ("redactie@veiligheidsalliantie.nl",)


def test_an_id_planned_in_two_years_is_refused(tmp_path: Path, sample_config: Config) -> None:
    folder = tmp_path / "scheduler"
    folder.mkdir()
    (folder / "plan-2022.yaml").write_text(GOOD, encoding="utf-8")
    other = (
        GOOD.replace("year: 2022", "year: 2023")
        .replace("2022-", "2023-")
        .replace("id: 2023-05 ", "id: 2022-05 ")
    )
    (folder / "plan-2023.yaml").write_text(other, encoding="utf-8")
    with pytest.raises(
        InputError,
        match=r"plan-2023.yaml:\d+: editions\[4\].id: 2022-05 is also planned in plan-2022.yaml",
    ):
        load_plans(sample_config, folder)


def test_check_reports_a_late_edition_and_a_planned_mismatch(
    tmp_path: Path, sample_config: Config
) -> None:
    from varcomms.models import EditionStatus
    from varcomms.scheduler.plan import Plans
    from varcomms.scheduler.state import EditionState

    plan = read_plan(PLAN_2022)
    plans = Plans(tmp_path, (plan,))
    states = {
        "2022-01": EditionState("2022-01", EditionStatus.DRAFT, local(2022, 2, 1, 9, 0)),
        "2022-02": EditionState("2022-02", EditionStatus.APPROVED, local(2022, 3, 2, 9, 0)),
    }
    findings = check_plans(plans, states, local(2022, 2, 2, 9, 0))
    errors = [f.line() for f in findings if f.level == "error"]
    assert any(
        "editions[0].send: 2022-01 was due 2022-02-01 09:00 and is draft" in e for e in errors
    )
    assert any(
        "editions[1].send: plan says 2022-03-01 09:00" in e and "2022-03-02 09:00" in e
        for e in errors
    )
    assert len(errors) == 2


def test_the_plan_exports_to_icalendar(tmp_path: Path) -> None:
    from icalendar import Calendar

    plan = read_plan(PLAN_2022)
    calendar = Calendar.from_ical(plan_calendar(plan, stamp=local(2022, 1, 1, 0, 0)))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 40  # four dates for each of ten editions
    send = next(e for e in events if str(e["uid"]).startswith("2022-03-send@"))
    assert send.decoded("dtstart").astimezone(UTC) == local(2022, 3, 29, 9, 0).astimezone(UTC)
    assert str(send["summary"]) == "Verzending nieuwsbrief 2022-03"


def test_cli_plan_json_and_ics(cli, tmp_path: Path) -> None:
    ics = tmp_path / "plan.ics"
    result = cli(
        "scheduler",
        "plan",
        "2022",
        "--json",
        "--ics",
        str(ics),
        cwd=ROOT,
        env={"VARCOMMS_SCHEDULER_NOW": "2022-01-20T10:00:00+01:00"},
    )
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["year"] == 2022 and len(data["editions"]) == 10
    first = data["editions"][0]
    assert first["id"] == "2022-01" and first["status"] == "draft"
    assert first["send"] == "2022-02-01T09:00:00+01:00"
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_cli_check_fails_on_a_late_edition(cli) -> None:
    result = cli(
        "scheduler", "check", cwd=ROOT, env={"VARCOMMS_SCHEDULER_NOW": "2022-02-02T10:00:00+01:00"}
    )
    assert result.code == 1
    assert "2022-01 was due 2022-02-01 09:00 and is draft" in result.stdout
