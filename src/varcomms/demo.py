"""`varcomms demo`: the real pipeline on the bundled samples, in a folder of its own.

collect → draft → (the demo plays the editors: writes the voorwoord, signs off for VAR
and RIEC) → render → import the sample audience → send through the `outbox` provider.
Every step is the library function the CLI and the scheduler call; the demo only
chooses a folder, a date inside the samples' period (the end of January 2022) and a
signing key of its own, so it runs offline and without an account on a fresh clone.

Running it again reuses the folder: collect finds nothing new, the edition is already
sent, and the send ledger guarantees that nobody gets a second copy.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from varcomms import audience, editions, render, review, sources
from varcomms.audience import ImportReport
from varcomms.clock import Clock, ShiftedClock
from varcomms.config import Config, Secrets
from varcomms.context import Context
from varcomms.delivery import SendReport, send_edition, send_status
from varcomms.errors import NotFoundError
from varcomms.keyfile import read_or_create_key
from varcomms.models import Edition, EditionStatus
from varcomms.render import RenderOutput
from varcomms.sources import CollectProgress, CollectReport
from varcomms.tokens import TokenSigner

DEMO_EDITION = "2022-01"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The samples describe January 2022; the demo lives on its last working day.
DEMO_NOW = datetime(2022, 1, 31, 10, 0, tzinfo=AMSTERDAM)
DEMO_PLANNED = datetime(2022, 2, 1, 9, 0, tzinfo=AMSTERDAM)
SAMPLE_AUDIENCE = "sample-subscribers.csv"

# What the demo's "editor" writes as voorwoord; a real editor writes intro.md by hand.
DEMO_VOORWOORD = """\
Dit is een demonstratie van varcomms. Deze nieuwsbrief is zojuist samengesteld uit de
voorbeeldbronnen die bij het programma horen: het nieuws van de VeiligheidsAlliantie en
het RIEC Rotterdam, de agenda voor 2022 en de politiecampagnes tegen babbeltrucs en
nepagenten.

Alle ontvangers zijn fictief. De berichten zijn niet verstuurd, maar als bestanden
bewaard, zodat u kunt zien wat elke lezer zou ontvangen: alleen de thema's die hij of
zij heeft gekozen.

De redactie van VAR en RIEC
"""


@dataclass
class DemoProgress:
    """Where the demo reports progress (the CLI passes rich bars; tests pass nothing)."""

    collect: CollectProgress | None = None
    send: Callable[[int], None] | None = None
    step: Callable[[str], None] = lambda _message: None


@dataclass
class DemoReport:
    folder: Path
    collected: CollectReport
    edition: Edition
    rendered: RenderOutput
    imported: ImportReport
    sent: SendReport | None
    # Per ledger state (sent, failed, …) after the run: the whole send, earlier runs too.
    ledger: dict[str, int] = field(default_factory=dict)
    per_variant: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    by_scheduler: bool = False  # sent by `scheduler run` at its planned time (--scheduler)
    # One sample reader's preference centre, as `varcomms serve --demo <folder>` serves it.
    preferences_url: str | None = None

    @property
    def outbox(self) -> Path:
        return self.folder / "outbox"


def demo_config(base: Config, folder: Path) -> Config:
    """The project's configuration with everything it writes moved into ``folder``."""
    paths = base.paths.model_copy(
        update={"data": folder / "data", "newsletters": folder / "newsletters"}
    )
    outbox = base.provider.outbox.model_copy(update={"directory": folder / "outbox"})
    provider = base.provider.model_copy(update={"name": "outbox", "outbox": outbox})
    return base.model_copy(update={"paths": paths, "provider": provider, "database_url": None})


def _with_signing_key(folder: Path, secrets: Secrets) -> Secrets:
    """The environment's key if set; otherwise one made for this demo folder only."""
    if secrets.get("signing_key"):
        return secrets
    key = read_or_create_key(folder / "data" / "demo-signing.key")
    return secrets.merged({"signing_key": key})


def demo_context(config: Config, folder: Path, *, secrets: Secrets) -> Context:
    """A Context on a demo folder's database, outbox and signing key (for `serve --demo`)."""
    folder = folder.absolute()
    if not (folder / "data").is_dir():
        raise NotFoundError(
            f"{folder} is not a demo folder", hint="run `varcomms demo` first, or pass --demo demo"
        )
    return Context(config=demo_config(config, folder), secrets=_with_signing_key(folder, secrets))


def run_demo(
    config: Config,
    folder: Path,
    *,
    secrets: Secrets,
    progress: DemoProgress | None = None,
    fresh: bool = False,
    clock: Clock | None = None,
    scheduled: bool = False,
) -> DemoReport:
    """Run the pipeline on the samples into ``folder`` and report what happened.

    ``scheduled``: instead of sending at once, schedule the edition and let the real
    scheduler (APScheduler, on a clock shifted to seconds before the planned time) send it.
    """
    started = time.perf_counter()
    progress = progress or DemoProgress()
    folder = folder.absolute()
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(
        config=demo_config(config, folder),
        secrets=_with_signing_key(folder, secrets),
        clock=clock or ShiftedClock(DEMO_NOW),
    )
    try:
        progress.step("collecting the sample sources")
        collected = sources.collect(ctx, progress=progress.collect)
        progress.step(f"drafting edition {DEMO_EDITION}")
        edition = _draft_and_approve(ctx)
        progress.step("rendering every variant")
        rendered = render.render_edition(ctx.config, edition, folder / "render")
        progress.step("importing the sample audience")
        imported = audience.import_csv(
            ctx,
            config.audiences_dir / SAMPLE_AUDIENCE,
            rejects_path=folder / "data" / "sample-subscribers.rejects.csv",
        )
        sent = None
        by_scheduler = False
        if edition.status is not EditionStatus.SENT and scheduled:
            by_scheduler = _send_by_scheduler(ctx, edition, progress)
            edition = editions.load_edition(ctx.config, edition.id)
        elif edition.status is not EditionStatus.SENT:
            progress.step("sending through the outbox provider")
            sent = send_edition(ctx, edition.id, progress=progress.send)
            edition = editions.load_edition(ctx.config, edition.id)
        status = send_status(ctx, edition.id)
        preferences_url = sample_preferences_url(ctx)
    finally:
        ctx.close()
    return DemoReport(
        folder=folder,
        collected=collected,
        edition=edition,
        rendered=rendered,
        imported=imported,
        sent=sent,
        ledger=dict(status.states),
        per_variant={key: sum(states.values()) for key, states in status.per_variant.items()},
        seconds=time.perf_counter() - started,
        by_scheduler=by_scheduler,
        preferences_url=preferences_url,
    )


SERVE_ADDRESS = "http://127.0.0.1:8000"


def sample_preferences_url(ctx: Context, base: str = SERVE_ADDRESS) -> str | None:
    """The preference-centre link of the first subscribed sample reader, on ``base``."""
    reader = next(audience.iter_recipients(ctx.store, batch_size=1), None)
    if reader is None or reader.id is None:
        return None
    token = TokenSigner.from_secrets(ctx.secrets).sign(
        "preferences", reader.email, subscriber_id=reader.id
    )
    path = urlsplit(ctx.config.urls.preferences_base).path.rstrip("/")
    return f"{base}{path}/{token}"


def _draft_and_approve(ctx: Context) -> Edition:
    """Draft the demo edition once; play both editors when it still needs them."""
    try:
        edition = editions.load_edition(ctx.config, DEMO_EDITION)
    except NotFoundError:
        edition = editions.draft_new(ctx, DEMO_EDITION, planned=DEMO_PLANNED)
        intro = ctx.config.newsletters_dir / DEMO_EDITION / "intro.md"
        intro.write_text(DEMO_VOORWOORD, encoding="utf-8")
    if edition.status in (EditionStatus.DRAFT, EditionStatus.REVIEW):
        review.approve(ctx, DEMO_EDITION, "var", "Demo: redactie VAR")
        review.approve(ctx, DEMO_EDITION, "riec", "Demo: redactie RIEC")
    return editions.load_edition(ctx.config, DEMO_EDITION)


def _send_by_scheduler(ctx: Context, edition: Edition, progress: DemoProgress) -> bool:
    """Schedule the edition, then run ``scheduler run`` in-process until it has sent it.

    The scheduler's clock starts three seconds before the planned time, so its send job
    fires three real seconds later; its one-line decisions are shown as demo steps.
    """
    import logging
    import threading
    from datetime import timedelta

    from varcomms.clock import ShiftedClock
    from varcomms.scheduler import load_plans
    from varcomms.scheduler.runner import run

    if edition.status is EditionStatus.APPROVED:
        editions.schedule(ctx, edition.id)
        progress.step(f"scheduled {edition.id} for {DEMO_PLANNED:%Y-%m-%d %H:%M}")
    plans = [p.model_copy(update={"collect": None}) for p in load_plans(ctx.config).years]
    shifted = Context(
        config=ctx.config,
        secrets=ctx.secrets,
        clock=ShiftedClock(DEMO_PLANNED - timedelta(seconds=3)),
    )

    class ToSteps(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            progress.step(f"scheduler: {record.getMessage()}")

    logger = logging.getLogger("varcomms.scheduler")
    handler = ToSteps(logging.INFO)
    logger.addHandler(handler)
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.INFO)
    logger.propagate = False  # shown as demo steps, not again by the CLI's log handler
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(shifted, plans), kwargs={"stop": stop}, name="demo-scheduler"
    )
    progress.step("starting the scheduler on a clock three seconds before the send")
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and thread.is_alive():
            if editions.load_edition(ctx.config, edition.id).status is EditionStatus.SENT:
                break
            time.sleep(0.2)  # waiting for the real scheduler thread, bounded
    finally:
        stop.set()
        thread.join(timeout=120)
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        shifted.close()
    return editions.load_edition(ctx.config, edition.id).status is EditionStatus.SENT
