"""The `varcomms` command: global options, sub-commands, and the one error edge."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from typer.core import TyperCommand, TyperGroup

from varcomms import __version__
from varcomms.cli.output import data, safe_console
from varcomms.cli.state import CliState, state
from varcomms.errors import ConfigError, InputError, NotFoundError, VarcommsError
from varcomms.redact import RedactingFilter, Redactor

# Every command, in pipeline order: name → (module in varcomms.cli, attribute, short help).
# An attribute is a typer.Typer (a group) or a command function. Modules are imported only
# when their command runs: together the stages import SQLAlchemy, pydantic, the renderer
# and the feed parsers, and `varcomms --help` should not wait for all of them. The short
# help is repeated here for that reason; a test keeps it equal to the command's own.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "config": ("config_cmd", "app", "Check and show the configuration."),
    "db": ("db", "app", "Manage the database schema."),
    "collect": (
        "collect",
        "collect",
        "Fetch every configured source into the item pool and summarise what changed.",
    ),
    "items": ("collect", "items_app", "List, inspect, skip and re-tag items in the pool."),
    "draft": ("draft", "app", "Draft editions from the item pool."),
    "edition": ("edition", "app", "Review, lint and sign off editions."),
    "render": (
        "render",
        "render_command",
        "Render an edition: HTML, plain text and web version for each variant.",
    ),
    "preview": (
        "render",
        "preview_command",
        "Serve an edition on localhost and re-render on every change (or take screenshots).",
    ),
    "audience": ("audience", "app", "Subscribers, segments, suppression and privacy."),
    "send": (
        "send",
        "app",
        "Send an edition: `varcomms send ID …`; progress: `varcomms send status ID`.",
    ),
    "scheduler": (
        "scheduler",
        "app",
        "Plan the year's editions and send them on their dates.",
    ),
    "events": ("events", "app", "Bounces, complaints and other events after a send."),
    "report": (
        "report",
        "report",
        "Figures per edition (per variant, per segment, top links) or for a whole year.",
    ),
    "archive": ("archive", "app", "The public archive of sent editions."),
    "serve": (
        "serve",
        "serve",
        "Serve sign-up, preference centre and unsubscribe pages (plain http; see README).",
    ),
    "demo": (
        "demo",
        "demo",
        "Collect, draft, render and send the sample edition to the sample audience (offline).",
    ),
}


class LazyCommands(TyperGroup):
    """The root group: sub-commands come from COMMANDS, each module loaded on first use."""

    # While the root's own help is drawn, commands are stand-ins carrying only their
    # short help, so `varcomms --help` imports none of the stages.
    _listing_only = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing_only = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing_only = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, short_help = COMMANDS[cmd_name]
        if self._listing_only:
            return TyperCommand(cmd_name, help=short_help)
        target = getattr(importlib.import_module(f"varcomms.cli.{module_name}"), attribute)
        # Built exactly as app.add_typer/app.command would, inside a throwaway parent.
        holder = typer.Typer(add_completion=False)
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=cmd_name)
        else:
            holder.command(cmd_name)(target)
            holder.callback()(lambda: None)  # a group, so the command keeps its name
        group = typer.main.get_command(holder)
        assert isinstance(group, TyperGroup)
        return group.commands[cmd_name]


app = typer.Typer(
    cls=LazyCommands,
    name="varcomms",
    help="Assemble, render and send the VAR/RIEC newsletter.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"varcomms {__version__}")
        raise typer.Exit


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Configuration file (default: ./varcomms.toml)."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging and full tracebacks.")
    ] = False,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            envvar="VARCOMMS_TODAY",
            metavar="DATE",
            help="Run as if today were DATE (YYYY-MM-DD), e.g. inside the samples' period.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    cli = state(ctx)
    cli.config_path = config
    cli.verbose = verbose
    cli.today = today or None
    handler = RichHandler(console=cli.stderr, show_path=False)
    handler.addFilter(RedactingFilter(cli.redactor()))  # no secret in any log record
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[handler],
        force=True,
    )
    ctx.call_on_close(cli.close)


# The exit-code scheme (documented in the README, "Exit codes"):
SUCCESS = 0
FAILED = 1  # the command ran, but something failed or was refused
USAGE = 2  # the command line, an input file or the configuration needs fixing
INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it

# Errors that mean "fix what you gave me": the arguments, a file, the configuration.
# Everything else a command raises on purpose means it ran and failed or refused
# (a failed source, lint errors, a paused send, an edition in the wrong state).
USAGE_ERRORS: tuple[type[VarcommsError], ...] = (ConfigError, InputError, NotFoundError)


def exit_code_for(err: VarcommsError) -> int:
    """The exit code of an error that reached the CLI edge."""
    return USAGE if isinstance(err, USAGE_ERRORS) else FAILED


def run(
    argv: Sequence[str] | None = None,
    *,
    stdout: Console | None = None,
    stderr: Console | None = None,
) -> int:
    """Run the CLI in-process and return the exit code (tests call this)."""
    cli = CliState()
    if stdout is not None:
        cli.stdout = safe_console(stdout)
    if stderr is not None:
        cli.stderr = safe_console(stderr)
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name="varcomms", standalone_mode=False, obj=cli)
    except VarcommsError as err:
        redact = cli.redactor()
        if cli.verbose:
            _print_traceback(cli, err, redact)
        message = redact(err.message)
        cli.stderr.print(f"[bold red]error:[/bold red] {data(message)}", highlight=False)
        if err.hint:
            cli.stderr.print(f"[dim]hint:[/dim] {data(redact(err.hint))}", highlight=False)
        return exit_code_for(err)
    except typer.Abort as err:
        # click turns both Ctrl-C and end-of-input at a question into Abort.
        if isinstance(err.__context__, EOFError):
            cli.stderr.print("[bold red]error:[/bold red] no answer to the question (no input)")
            cli.stderr.print("[dim]hint:[/dim] pass --yes to answer it on the command line")
            return USAGE
        cli.stderr.print("Aborted.")
        return INTERRUPTED
    except typer.Exit as err:
        return int(err.exit_code)
    except typer.TyperException as err:
        # Usage errors (typer's own click): unknown option, missing argument, …
        show = getattr(err, "show", None)
        if show is not None:
            show(file=cli.stderr.file)
        else:
            cli.stderr.print(f"error: {err}")
        return USAGE
    except KeyboardInterrupt:
        cli.stderr.print("Interrupted.")
        return INTERRUPTED
    except Exception as err:
        # The last resort: a library's exception text can quote a secret (requests
        # shows a header value, a driver its connection string), so nothing unmasked
        # and no traceback unless asked for.
        redact = cli.redactor()
        if cli.verbose:
            _print_traceback(cli, err, redact)
        message = redact(str(err)) or "(no message)"
        cli.stderr.print(
            f"[bold red]error:[/bold red] unexpected {data(type(err).__name__)}: {data(message)}",
            highlight=False,
        )
        if not cli.verbose:
            cli.stderr.print(
                "[dim]hint:[/dim] run with --verbose for the traceback", highlight=False
            )
        return FAILED
    # With standalone_mode off, a command's typer.Exit(code) comes back as the result.
    return result if isinstance(result, int) else SUCCESS


def _print_traceback(cli: CliState, err: BaseException, redact: Redactor) -> None:
    """The traceback as plain text, secrets masked (no locals, as before)."""
    text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    cli.stderr.print(redact(text), markup=False, highlight=False, emoji=False)


def main() -> None:
    # Everything the CLI writes (database, outbox, exports, rendered pages) may hold
    # personal data: private to the account that runs it, whatever the shell's umask.
    os.umask(0o077)
    sys.exit(run())
