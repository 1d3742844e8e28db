"""A project on a fake clock: sample config, the 2022 plan, a small audience, editors."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import ROOT
from varcomms import audience, editions
from varcomms.clock import FakeClock
from varcomms.config import Config, load_config, load_secrets
from varcomms.context import Context
from varcomms.delivery.providers.outbox import read_index
from varcomms.scheduler.core import SchedulerCore
from varcomms.scheduler.plan import AMSTERDAM, YearPlan, read_plan

SIGNING_KEY = "scheduler-test-signing-key-0123456789"
PLAN_2022 = ROOT / "scheduler" / "plan-2022.yaml"
VOORWOORD = "Beste lezer, dit is het voorwoord van de redactie voor deze editie.\n"
RIEC_ITEM = """
---
title: Weerbaar bestuur in de regio
link: https://veiligheidsalliantie.nl/riec/weerbaar-bestuur/
themes: [ondermijning]
---
Het RIEC deelt een handelingsperspectief voor lokaal weerbaar bestuur.
"""


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)


def project_config(base: Config, folder: Path) -> Config:
    """The sample configuration writing into ``folder`` (no sample edition in it)."""
    paths = base.paths.model_copy(
        update={"data": folder / "data", "newsletters": folder / "newsletters"}
    )
    outbox = base.provider.outbox.model_copy(update={"directory": folder / "outbox"})
    provider = base.provider.model_copy(update={"name": "outbox", "outbox": outbox})
    return base.model_copy(update={"paths": paths, "provider": provider, "database_url": None})


def small_audience(folder: Path, count: int) -> Path:
    """The first ``count`` sample subscribers (every one subscribed)."""
    source = (ROOT / "audiences" / "sample-subscribers.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(StringIO(source)))
    chosen = [row for row in rows if row["status"] == "subscribed"][:count]
    path = folder / "audience.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    return path


class SettableClock(FakeClock):
    """FakeClock kept in UTC (so advancing over a DST change is exact) that can also
    jump to a moment (the next job time)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self._now = start.astimezone(UTC)

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("aware datetimes only")
        self._now = when.astimezone(UTC)


@dataclass
class Project:
    ctx: Context
    clock: SettableClock
    plan: YearPlan
    folder: Path

    def core(self, **kwargs: object) -> SchedulerCore:
        kwargs.setdefault("collect", False)
        return SchedulerCore(self.ctx, [self.plan], **kwargs)  # type: ignore[arg-type]

    def outbox(self, edition_id: str) -> list[dict[str, object]]:
        return [e for e in read_index(self.folder / "outbox" / edition_id) if not e.get("test")]

    def reminders(self) -> list[str]:
        return [str(e["subject"]) for e in read_index(self.folder / "outbox" / "herinnering")]

    def reminders_to(self) -> list[tuple[str, str]]:
        return [
            (str(e["to"]), str(e["subject"]))
            for e in read_index(self.folder / "outbox" / "herinnering")
        ]

    def approve(self, edition_id: str, *, schedule: bool = True) -> None:
        """Play the editors: write the voorwoord, sign for VAR and RIEC, schedule."""
        (self.ctx.config.newsletters_dir / edition_id / "intro.md").write_text(
            VOORWOORD, encoding="utf-8"
        )
        doc = editions.read_folder(self.ctx.config, edition_id)
        riec = self.ctx.config.newsletters_dir / edition_id / "riec.md"
        if riec.is_file() and "title:" not in riec.read_text(encoding="utf-8"):
            with riec.open("a", encoding="utf-8") as handle:
                handle.write(RIEC_ITEM)
            doc = editions.read_folder(self.ctx.config, edition_id)
        for role in editions.required_roles(doc.meta.brands):
            editions.approve(self.ctx, edition_id, role, f"redactie {role}")
        if schedule:
            editions.schedule(self.ctx, edition_id)

    def status(self, edition_id: str) -> str:
        return editions.read_folder(self.ctx.config, edition_id).meta.status.value


@pytest.fixture
def make_project(sample_config: Config, tmp_path: Path):
    made: list[Context] = []

    def build(
        start: datetime,
        *,
        database_url: str | None = None,
        subscribers: int = 6,
        plan: YearPlan | None = None,
    ) -> Project:
        folder = tmp_path / "project"
        folder.mkdir(exist_ok=True)
        clock = SettableClock(start)
        ctx = Context(
            config=project_config(sample_config, folder),
            secrets=load_secrets({"VARCOMMS_SIGNING_KEY": SIGNING_KEY}),
            clock=clock,
            console=Console(file=StringIO(), width=120),
            database_url=database_url or f"sqlite:///{folder / 'data' / 'varcomms.db'}",
        )
        made.append(ctx)
        audience.import_csv(ctx, small_audience(folder, subscribers))
        return Project(ctx, clock, plan or read_plan(PLAN_2022), folder)

    yield build
    for ctx in made:
        ctx.close()


@pytest.fixture
def project(make_project) -> Project:
    return make_project(local(2022, 1, 10, 8, 0))


@pytest.fixture
def any_db_project(make_project, database_url: str) -> Iterator[Project]:
    """The same, once on SQLite and once on PostgreSQL."""
    yield make_project(local(2022, 1, 10, 8, 0), database_url=database_url)


# -- a project folder on disk, for the CLI and the real scheduler process ---------------

PLAN = """\
year: 2022
collect: null
grace: 4h
recheck: 30m
remind_before: 2d
editors:
  var: [redactie@veiligheidsalliantie.nl]
  riec: [redactie@riec-rotterdam.nl]
editions:
  - id: 2022-01
    send: 2022-02-01 09:00
    drafting: 2022-01-17 09:00
    riec_deadline: 2022-01-26 12:00
    review_deadline: 2022-01-28 12:00
"""


def write_project(folder: Path, database_url: str) -> Path:
    """A project folder whose varcomms.toml uses the repository's templates and samples."""
    text = (ROOT / "varcomms.toml").read_text(encoding="utf-8")
    for name in ("templates", "audiences"):
        text = text.replace(f'{name} = "{name}"', f'{name} = "{ROOT / name}"')
    text = re.sub(
        r'(logo_path|path) = "((templates|samples)/[^"]*)"',
        lambda m: f'{m.group(1)} = "{ROOT / m.group(2)}"',
        text,
    )
    text = text.replace("# database_url = ", f'database_url = "{database_url}"\n# ', 1)
    (folder / "scheduler").mkdir(parents=True)
    (folder / "scheduler" / "plan-2022.yaml").write_text(PLAN, encoding="utf-8")
    path = folder / "varcomms.toml"
    path.write_text(text, encoding="utf-8")
    return path


def prepare(folder: Path, database_url: str) -> Path:
    """Draft (by the scheduler's core), approve and schedule 2022-01, in-process."""
    config_path = write_project(folder, database_url)
    config = load_config(config_path)
    plan = read_plan(folder / "scheduler" / "plan-2022.yaml")
    clock = SettableClock(plan.edition("2022-01").drafting)
    ctx = Context(
        config=config, secrets=load_secrets({"VARCOMMS_SIGNING_KEY": SIGNING_KEY}), clock=clock
    )
    try:
        audience.import_csv(ctx, small_audience(folder, 6))
        SchedulerCore(ctx, [plan], collect=False).run_pass()
        edition_dir = config.newsletters_dir / "2022-01"
        (edition_dir / "intro.md").write_text("Het voorwoord.\n", encoding="utf-8")
        riec = edition_dir / "riec.md"
        riec.write_text(
            riec.read_text(encoding="utf-8")
            + "\n---\ntitle: RIEC-bericht\nlink: https://veiligheidsalliantie.nl/riec/x/\n---\n"
            "Een bericht van het RIEC.\n",
            encoding="utf-8",
        )
        clock.set(local(2022, 1, 27, 10, 0))
        editions.approve(ctx, "2022-01", "var", "redactie VAR")
        editions.approve(ctx, "2022-01", "riec", "redactie RIEC")
        editions.schedule(ctx, "2022-01")
    finally:
        ctx.close()
    return config_path
