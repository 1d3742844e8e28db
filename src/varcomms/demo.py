"""`varcomms demo`: the real pipeline on the bundled samples, in a folder of its own.

collect → draft → approve → render → import the sample audience → send through the
`outbox` provider. Every step is the library function the CLI and the scheduler use; the
demo only chooses a folder, a date inside the samples' period (end of January 2022) and a
signing key of its own, so it runs offline, without an account, on a fresh clone.
Running it again reuses the folder: the ledger makes sure nobody gets a second copy.
"""

from __future__ import annotations

import secrets as secrets_module
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console

from varcomms import audience, editions, render, sources
from varcomms.clock import Clock, ShiftedClock
from varcomms.config import Config, Secrets
from varcomms.context import Context
from varcomms.delivery import send_edition
from varcomms.errors import VarcommsError
from varcomms.models import EditionStatus

DEMO_EDITION = "2022-01"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The samples describe January 2022; the demo lives on its last working day.
DEMO_NOW = datetime(2022, 1, 31, 10, 0, tzinfo=AMSTERDAM)
DEMO_PLANNED = datetime(2022, 2, 1, 9, 0, tzinfo=AMSTERDAM)


@dataclass
class DemoReport:
    folder: Path
    collected: Any
    edition_id: str
    imported: Any
    rendered: Any
    sent: Any
    seconds: float


def demo_config(base: Config, folder: Path) -> Config:
    """The project's configuration with every writable path moved into ``folder``."""
    paths = base.paths.model_copy(
        update={"data": folder / "data", "newsletters": folder / "newsletters"}
    )
    outbox = base.provider.outbox.model_copy(update={"directory": folder / "outbox"})
    provider = base.provider.model_copy(update={"name": "outbox", "outbox": outbox})
    return base.model_copy(update={"paths": paths, "provider": provider, "database_url": None})


def _signing_key(folder: Path, secrets: Secrets) -> Secrets:
    """The environment's key if set; otherwise one made for this demo folder only."""
    if secrets.get("signing_key"):
        return secrets
    key_file = folder / "data" / "demo-signing.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets_module.token_urlsafe(32), encoding="utf-8")
        key_file.chmod(0o600)
    return secrets.merged({"signing_key": key_file.read_text(encoding="utf-8").strip()})


def run_demo(
    config: Config,
    folder: Path,
    *,
    secrets: Secrets,
    console: Console,
    fresh: bool = False,
    clock: Clock | None = None,
) -> DemoReport:
    started = time.perf_counter()
    folder = folder.absolute()
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(
        config=demo_config(config, folder),
        secrets=_signing_key(folder, secrets),
        clock=clock or ShiftedClock(DEMO_NOW),
        console=console,
    )
    try:
        collected = sources.collect(ctx)
        edition = _draft_and_approve(ctx)
        rendered = render.render_edition(ctx.config, edition, folder / "render")
        imported = audience.import_csv(ctx, config.audiences_dir / "sample-subscribers.csv")
        sent = send_edition(ctx, edition.id, yes=True)
    finally:
        ctx.close()
    return DemoReport(
        folder=folder,
        collected=collected,
        edition_id=edition.id,
        imported=imported,
        rendered=rendered,
        sent=sent,
        seconds=time.perf_counter() - started,
    )


def _draft_and_approve(ctx: Context):  # type: ignore[no-untyped-def]
    try:
        edition = editions.load_edition(ctx.config, DEMO_EDITION)
    except VarcommsError:
        edition = editions.draft_new(ctx, DEMO_EDITION, planned=DEMO_PLANNED)
    if edition.status in (EditionStatus.DRAFT, EditionStatus.REVIEW):
        editions.approve(ctx, edition.id, "var", "Demo redactie VAR")
        edition = editions.approve(ctx, edition.id, "riec", "Demo redactie RIEC")
    return editions.load_edition(ctx.config, edition.id)
