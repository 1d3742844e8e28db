"""The `varcomms` command: global options, sub-commands, and the one error edge."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from typer.core import TyperGroup

from varcomms import __version__
from varcomms.cli.state import CliState, state
from varcomms.errors import VarcommsError

# Every command, in pipeline order: name → (module in varcomms.cli, attribute). An
# attribute is a typer.Typer (a group) or a command function. Modules are imported only
# when their command runs: together the stages import SQLAlchemy, pydantic, the renderer
# and the feed parsers, and `varcomms --version` should not wait for all of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "config": ("config_cmd", "app"),
    "db": ("db", "app"),
    "collect": ("collect", "collect"),
    "items": ("collect", "items_app"),
    "draft": ("draft", "app"),
    "edition": ("edition", "app"),
    "render": ("render", "render_command"),
    "preview": ("render", "preview_command"),
    "audience": ("audience", "app"),
    "send": ("send", "app"),
    "events": ("events", "app"),
    "report": ("report", "report"),
    "archive": ("archive", "app"),
    "demo": ("demo", "demo"),
}


class LazyCommands(TyperGroup):
    """The root group: sub-commands come from COMMANDS, each module loaded on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name]
        target = getattr(importlib.import_module(f"varcomms.cli.{module_name}"), attribute)
        # Built exactly as app.add_typer/app.command would, inside a throwaway parent.
        holder = typer.Typer(add_completion=False)
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=cmd_name)
        else:
            holder.command(cmd_name)(target)
            holder.callback()(lambda: None)  # a group, so the command keeps its name
        return typer.main.get_command(holder).commands[cmd_name]


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
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    cli = state(ctx)
    cli.config_path = config
    cli.verbose = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=cli.stderr, show_path=False)],
        force=True,
    )
    ctx.call_on_close(cli.close)


def run(
    argv: Sequence[str] | None = None,
    *,
    stdout: Console | None = None,
    stderr: Console | None = None,
) -> int:
    """Run the CLI in-process and return the exit code (tests call this)."""
    cli = CliState()
    if stdout is not None:
        cli.stdout = stdout
    if stderr is not None:
        cli.stderr = stderr
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name="varcomms", standalone_mode=False, obj=cli)
    except VarcommsError as err:
        if cli.verbose:
            cli.stderr.print_exception()
        cli.stderr.print(f"[bold red]error:[/bold red] {err.message}", highlight=False)
        if err.hint:
            cli.stderr.print(f"[dim]hint:[/dim] {err.hint}", highlight=False)
        return err.exit_code
    except typer.Abort:
        cli.stderr.print("Aborted.")
        return 130
    except typer.Exit as err:
        return err.exit_code
    except typer.TyperException as err:
        # Usage errors (typer's own click): unknown option, missing argument, …
        show = getattr(err, "show", None)
        if show is not None:
            show(file=cli.stderr.file)
        else:
            cli.stderr.print(f"error: {err}")
        return int(getattr(err, "exit_code", 2))
    except KeyboardInterrupt:
        cli.stderr.print("Interrupted.")
        return 130
    # With standalone_mode off, a command's typer.Exit(code) comes back as the result.
    return result if isinstance(result, int) else 0


def main() -> None:
    # Everything the CLI writes (database, outbox, exports, rendered pages) may hold
    # personal data: private to the account that runs it, whatever the shell's umask.
    os.umask(0o077)
    sys.exit(run())
