"""Per-invocation state of the CLI: global options and the lazily built Context."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from varcomms.cli.output import SafeConsole
from varcomms.redact import Redactor, url_secrets

if TYPE_CHECKING:
    from varcomms.context import Context


@dataclass
class CliState:
    config_path: Path | None = None
    verbose: bool = False
    # --today / VARCOMMS_TODAY: run on a shifted clock (e.g. inside the samples' period).
    today: str | None = None
    stdout: Console = field(default_factory=SafeConsole)
    stderr: Console = field(default_factory=lambda: SafeConsole(stderr=True))
    _context: Context | None = None

    def context(self) -> Context:
        if self._context is None:
            # Imported here: it pulls in the config and the database layers.
            from varcomms.context import Context

            self._context = Context.from_files(
                self.config_path, console=self.stderr, today=self.today
            )
            if self.today is not None:
                now = self._context.clock.now().astimezone(self._context.config.tz)
                self.stderr.print(
                    f"[dim]clock: today is {now:%Y-%m-%d} (--today / VARCOMMS_TODAY)[/dim]",
                    highlight=False,
                )
        return self._context

    def redactor(self) -> Redactor:
        """Masks the environment's secrets and, once loaded, the configured database
        URL's password, in anything the CLI prints."""
        redactor = Redactor.from_environment()
        if self._context is not None:
            urls = [self._context.config.db_url, self._context.database_url or ""]
            redactor = redactor.with_secrets(s for url in urls for s in url_secrets(url))
        return redactor

    def close(self) -> None:
        if self._context is not None:
            self._context.close()


def state(ctx: typer.Context) -> CliState:
    """The CliState of this invocation (set by the root callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def print_json(ctx: typer.Context, data: Any) -> None:
    """Machine-readable output for ``--json``: plain JSON on stdout, nothing else."""
    out = state(ctx).stdout
    out.print_json(json.dumps(data, default=str, ensure_ascii=False), highlight=False)


JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")
