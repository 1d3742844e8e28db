"""`varcomms send ID`: summary first, confirmation unless --yes, then the report."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest

from varcomms.cli import send as send_cli
from varcomms.cli import state as cli_state
from varcomms.delivery import SendReport, SendSummary


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the library calls: the CLI is tested, not the stages behind it."""
    seen: list[dict[str, Any]] = []

    def plan(ctx: Any, edition_id: str, **options: Any) -> SendSummary:
        seen.append({"plan": edition_id, **options})
        return SendSummary(
            edition_id=edition_id,
            provider="outbox",
            rate_per_second=50,
            per_variant=Counter({"algemeen": 7, "algemeen+cyber": 3}),
            suppressed=2,
        )

    def send(ctx: Any, edition_id: str, **options: Any) -> SendReport:
        seen.append({"send": edition_id, **{k: v for k, v in options.items() if k != "progress"}})
        options["progress"](10)
        report = SendReport(send_id="s1", edition_id=edition_id, provider="outbox", sent=9)
        if edition_id != "clean":
            report.add_failure("x@y.nl", "SMTP 550: no such user")
        report.status = "finished"
        return report

    monkeypatch.setattr(send_cli.delivery, "plan_send", plan)
    monkeypatch.setattr(send_cli.delivery, "send_edition", send)
    monkeypatch.setattr(cli_state.CliState, "context", lambda self: None)
    return seen


def test_without_yes_it_asks_and_a_no_sends_nothing(
    cli, calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    result = cli("send", "2022-02")
    assert result.code == 1 and "not confirmed" in result.stderr
    assert "algemeen+cyber" in result.stdout and "2 suppressed" in result.stdout
    assert [c for c in calls if "send" in c] == []


def test_answering_yes_sends(cli, calls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert cli("send", "clean").code == 0
    assert calls[-1]["send"] == "clean"


def test_a_run_with_failures_exits_1_after_the_report(cli, calls) -> None:
    """The README's scheme: 1 for a run that finished with failures (or paused)."""
    result = cli("send", "2022-02", "--yes")
    assert result.code == 1
    assert "x@y.nl: SMTP 550: no such user" in result.stdout
    assert "1 recipient(s) failed" in result.stderr


def test_yes_sends_and_reports(cli, calls) -> None:
    result = cli("send", "2022-02", "--yes", "--segment", "gemeenten")
    assert result.code == 1, result  # one failure
    assert calls[-1] == {
        "send": "2022-02",
        "segment": "gemeenten",
        "dry_run": False,
        "test_to": (),
        "resume": False,
    }
    assert "sent" in result.stdout and "x@y.nl: SMTP 550: no such user" in result.stdout


def test_test_send_and_json(cli, calls) -> None:
    result = cli("send", "2022-02", "--test-to", "a@x.nl", "--test-to", "b@x.nl", "--yes", "--json")
    assert result.code == 1, result  # the report is printed in full first
    assert calls[-1]["test_to"] == ("a@x.nl", "b@x.nl")
    data = json.loads(result.stdout)
    assert data["sent"] == 9 and data["failures"] == [
        {"email": "x@y.nl", "reason": "SMTP 550: no such user"}
    ]
