"""The `varcomms` command: global options, sub-commands, and the one error edge."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler

from varcomms import __version__
from varcomms.cli import audience, collect, config_cmd, db, demo, draft, edition, render
from varcomms.cli import send as send_cmd
from varcomms.cli.state import CliState, state
from varcomms.errors import VarcommsError

app = typer.Typer(
    name="varcomms",
    help="Assemble, render and send the VAR/RIEC newsletter.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# One line per command group, in pipeline order.
app.add_typer(config_cmd.app, name="config")
app.add_typer(db.app, name="db")
app.command("collect")(collect.collect)
app.add_typer(collect.items_app, name="items")
app.add_typer(draft.app, name="draft")
app.add_typer(edition.app, name="edition")
app.command("render")(render.render_command)
app.command("preview")(render.preview_command)
app.add_typer(audience.app, name="audience")
app.add_typer(send_cmd.app, name="send")
app.command("demo")(demo.demo)


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
    sys.exit(run())
