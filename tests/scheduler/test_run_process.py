"""`varcomms scheduler run` as a real process on a real database, stopped with SIGTERM.

The scheduler's clock is shifted (VARCOMMS_SCHEDULER_NOW) to four seconds before the
edition's planned time, so its APScheduler send job fires a few real seconds after the
start. Waiting for that is polling with a deadline, not sleeping for time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from tests.scheduler.conftest import SIGNING_KEY, local, prepare, write_project
from varcomms import editions
from varcomms.config import load_config
from varcomms.delivery.providers.outbox import read_index


def wait_for(predicate, *, seconds: float, process: subprocess.Popen) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        if process.poll() is not None:
            return predicate()
        time.sleep(0.2)  # polling a real process's effect, bounded by the deadline
    return predicate()


def test_scheduler_run_sends_once_and_stops_on_sigterm(tmp_path: Path, database_url: str) -> None:
    folder = tmp_path / "project"
    config_path = prepare(folder, database_url)
    send_at = local(2022, 2, 1, 9, 0)
    env = {
        **os.environ,
        "VARCOMMS_SIGNING_KEY": SIGNING_KEY,
        "VARCOMMS_SCHEDULER_NOW": (send_at - timedelta(seconds=4)).isoformat(),
    }
    log_path = tmp_path / "scheduler.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "varcomms", "--config", str(config_path), "scheduler", "run"],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    outbox = folder / "data" / "outbox" / "2022-01"
    try:
        sent = wait_for(lambda: len(read_index(outbox)) >= 6, seconds=90, process=process)
        # Give a would-be second copy the chance to appear: the pass has logged its end.
        wait_for(lambda: "sent 2022-01" in log_path.read_text(), seconds=30, process=process)
        assert sent, log_path.read_text()
        assert process.poll() is None, log_path.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    text = log_path.read_text()
    recipients = [entry["to"] for entry in read_index(outbox)]
    assert len(recipients) == 6 == len(set(recipients)), text
    assert code == 0, text
    assert "send 2022-01: planned time reached" in text
    assert "sent 2022-01: 6 accepted" in text
    assert "received SIGTERM; stopping" in text
    assert text.rstrip().endswith("stopped cleanly")
    assert "Traceback" not in text
    assert editions.read_folder(load_config(config_path), "2022-01").meta.status.value == "sent"


def test_a_second_scheduler_process_refuses_to_start(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    config_path = write_project(folder, f"sqlite:///{tmp_path / 'two.db'}")
    env = {**os.environ, "VARCOMMS_SIGNING_KEY": SIGNING_KEY}
    command = [
        sys.executable,
        "-m",
        "varcomms",
        "--config",
        str(config_path),
        "scheduler",
        "run",
        "--no-collect",
    ]
    log_path = tmp_path / "first.log"
    with log_path.open("w") as log:
        first = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: "started as" in log_path.read_text(), seconds=60, process=first)
        second = subprocess.run(
            command, cwd=folder, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 1
        assert "another scheduler is running" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=60) == 0


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
