"""`varcomms events …`: what providers reported after a send."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from varcomms.cli.state import JsonOption, print_json, state
from varcomms.errors import ConfigError

app = typer.Typer(help="Bounces, complaints and other events after a send.", no_args_is_help=True)


@app.command("read-bounces")
def read_bounces(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Argument(help="A folder of .eml bounce reports (read files move to processed/)."),
    ] = None,
    imap: Annotated[
        bool, typer.Option("--imap", help="Read the mailbox of [events] bounce_imap_* instead.")
    ] = False,
    as_json: bool = JsonOption,
) -> None:
    """Read RFC 3464 bounce reports (for the SMTP provider) and apply them like webhooks."""
    from varcomms.events.mailbox import read_bounce_folder, read_bounce_imap

    cli = state(ctx)
    context = cli.context()
    if imap == (folder is not None):
        raise typer.BadParameter("give a FOLDER or --imap, not both or neither")
    if imap:
        settings = context.config.events
        if not settings.bounce_imap_host or not settings.bounce_imap_username:
            raise ConfigError(
                "events.bounce_imap_host and events.bounce_imap_username are not set",
                hint="set them in varcomms.toml under [events]",
            )
        report = read_bounce_imap(
            context,
            host=settings.bounce_imap_host,
            port=settings.bounce_imap_port,
            username=settings.bounce_imap_username,
            password=context.secrets.require("bounce_imap_password", purpose="the bounce mailbox"),
            folder=settings.bounce_imap_folder,
        )
    else:
        assert folder is not None
        report = read_bounce_folder(context, folder)
    if as_json:
        print_json(ctx, report.to_dict())
        return
    data = report.to_dict()
    cli.stdout.print(
        f"{data['messages']} message(s): {data['stored']} new bounce event(s), "
        f"{data['duplicates']} seen before, {data['not_bounces']} not a bounce report; "
        f"{data['suppressed']} address(es) suppressed.",
        highlight=False,
    )
