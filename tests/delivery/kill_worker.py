"""A send in a child process, for the SIGKILL tests.

Run forked by the test (or ``python -m tests.delivery.kill_worker DB OUTBOX COUNT``). It
always passes ``resume=True`` (a first run simply starts) and reports one "tick" per
settled batch, so the parent can kill it at a random point without sleeping.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.delivery.conftest import ENV, make_variant, people
from varcomms.config import load_config, load_secrets
from varcomms.context import Context
from varcomms.delivery import deliver
from varcomms.delivery.providers.outbox import OutboxProvider

ROOT = Path(__file__).resolve().parents[2]


def main(database_url: str, outbox: str, count: int, channel: Any = None) -> None:
    say = channel.send if channel is not None else lambda text: print(text, flush=True)
    config = load_config(ROOT / "varcomms.toml")
    delivery = config.delivery.model_copy(update={"rate_per_second": 1e6, "concurrency": 2})
    config = config.model_copy(update={"delivery": delivery})
    ctx = Context(config=config, secrets=load_secrets(ENV), database_url=database_url)
    provider = OutboxProvider(ctx, directory=Path(outbox), batch_size=7)
    variants = {"algemeen": make_variant("algemeen", paragraphs=5), "cyber": make_variant("cyber")}
    recipients = people(count // 2) + people(count - count // 2, variant="cyber", start=count // 2)

    def tick(_: int) -> None:
        say("tick")

    report = deliver(
        ctx,
        edition_id="2022-02",
        variants=variants,
        recipients=recipients,
        resume=True,
        provider=provider,
        progress=tick,
    )
    say(f"done sent={report.sent} reconciled={report.reconciled} uncertain={report.uncertain}")
    ctx.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
