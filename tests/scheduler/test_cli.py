"""The scheduler's commands: sync is idempotent, list shows jobs, schedule and release."""

from __future__ import annotations

import json
from pathlib import Path

from tests.scheduler.conftest import PLAN, prepare, write_project
from varcomms.delivery.providers.outbox import read_index

FUTURE = PLAN.replace("2022", "2027")


def _future_project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    config = write_project(folder, f"sqlite:///{tmp_path / 'cli.db'}")
    (folder / "scheduler" / "plan-2022.yaml").unlink()
    (folder / "scheduler" / "plan-2027.yaml").write_text(FUTURE, encoding="utf-8")
    return config


def test_sync_twice_changes_nothing_and_list_shows_the_jobs(cli, tmp_path: Path) -> None:
    config = str(_future_project(tmp_path))
    first = cli("--config", config, "scheduler", "sync", "--json")
    assert first.code == 0, first
    added = json.loads(first.stdout)["added"]
    assert sorted(added) == sorted(
        [
            "refresh",
            "recheck",
            "draft:2027-01",
            "remind-riec-copy:2027-01",
            "remind-review:2027-01",
            "remind-not-scheduled:2027-01",
            "send:2027-01",
        ]
    )
    second = cli("--config", config, "scheduler", "sync", "--json")
    report = json.loads(second.stdout)
    assert report["added"] == report["changed"] == report["removed"] == []
    assert len(report["kept"]) == 7  # the plan has no collect cron

    listed = json.loads(cli("--config", config, "scheduler", "list", "--json").stdout)
    send = next(row for row in listed if row["id"] == "send:2027-01")
    assert send["next_run"] == "2027-02-01T09:00:00+01:00"
    assert send["edition"] == "2027-01" and send["edition_status"] is None
    runs = [row["next_run"] for row in listed]
    assert runs == sorted(runs)

    # Moving the send a day changes that job and the reminder before it, nothing else.
    plan = Path(config).parent / "scheduler" / "plan-2027.yaml"
    plan.write_text(FUTURE.replace("send: 2027-02-01 09:00", "send: 2027-02-02 09:00"), "utf-8")
    third = json.loads(cli("--config", config, "scheduler", "sync", "--json").stdout)
    assert sorted(third["changed"]) == ["remind-not-scheduled:2027-01", "send:2027-01"]
    assert third["added"] == third["removed"] == []


def test_edition_schedule_and_unschedule(cli, tmp_path: Path) -> None:
    config = str(prepare(tmp_path / "project", f"sqlite:///{tmp_path / 'e.db'}"))
    result = cli("--config", config, "edition", "unschedule", "2022-01")
    assert result.code == 0, result
    assert "scheduled → approved" in result.stdout
    again = cli("--config", config, "edition", "unschedule", "2022-01")
    assert again.code == 1 and "not scheduled" in again.stderr
    # Today is long past 2022: the planned time must lie ahead.
    late = cli("--config", config, "edition", "schedule", "2022-01")
    assert late.code == 1 and "which has passed" in late.stderr
    # A plan that disagrees with the edition's planned time is refused first.
    plan = Path(config).parent / "scheduler" / "plan-2022.yaml"
    plan.write_text(PLAN.replace("send: 2022-02-01 09:00", "send: 2022-02-01 10:00"), "utf-8")
    mismatch = cli("--config", config, "edition", "schedule", "2022-01")
    assert mismatch.code == 1
    assert "planned for 2022-02-01 09:00 in its edition.yaml but for 2022-02-01 10:00" in (
        mismatch.stderr.replace("\n", " ")
    )


def test_release_sends_a_late_edition_once(cli, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    config = str(prepare(folder, f"sqlite:///{tmp_path / 'r.db'}"))
    env = {
        "VARCOMMS_SCHEDULER_NOW": "2022-02-01T15:00:00+01:00",
        "VARCOMMS_SIGNING_KEY": "scheduler-test-signing-key-0123456789",
    }
    result = cli(
        "--config", config, "scheduler", "release", "2022-01", "--by", "hoofdredactie", env=env
    )
    assert result.code == 0, result
    assert "released and sent to 6 recipient(s)" in result.stdout
    again = cli("--config", config, "scheduler", "release", "2022-01", env=env)
    assert again.code == 1 and "already sent" in again.stderr
    assert len(read_index(folder / "data" / "outbox" / "2022-01")) == 6


def test_demo_scheduler_sends_the_sample_edition_on_the_planned_time(tmp_path: Path) -> None:
    from tests.conftest import ROOT
    from varcomms.config import Secrets, load_config
    from varcomms.demo import run_demo

    steps: list[str] = []
    from varcomms.demo import DemoProgress

    report = run_demo(
        load_config(ROOT / "varcomms.toml"),
        tmp_path / "demo",
        secrets=Secrets({}),
        scheduled=True,
        progress=DemoProgress(step=steps.append),
    )
    assert report.by_scheduler
    assert report.edition.status.value == "sent"
    assert report.ledger == {"sent": sum(report.per_variant.values())}
    assert "scheduler: send 2022-01: planned time reached" in steps
    assert steps[-1] == "scheduler: stopped cleanly"
    recipients = [e["to"] for e in read_index(tmp_path / "demo" / "outbox" / "2022-01")]
    assert len(recipients) == len(set(recipients)) == report.ledger["sent"]
