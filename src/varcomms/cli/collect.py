"""`varcomms collect` and `varcomms items …`: fill the item pool and curate it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from varcomms import pool
from varcomms.cli.output import data as esc
from varcomms.cli.state import JsonOption, print_json, state
from varcomms.config import Config
from varcomms.errors import InputError, SourceError
from varcomms.models import Item, ItemKind, ItemStatus

if TYPE_CHECKING:
    from varcomms.sources import CollectReport

# `varcomms.sources` (the feed parsers, the HTTP client) and the progress bar are
# imported by `collect` only: `items …` reads the pool.

items_app = typer.Typer(
    help="List, inspect, skip and re-tag items in the pool.", no_args_is_help=True
)

# By SourceStatus value (a StrEnum, so its members look these up as they are).
STATUS_STYLE = {
    "ok": "green",
    "not-modified": "cyan",
    "warning": "yellow",
    "failed": "bold red",
    "deferred": "magenta",
}


def _parse_when(value: str | None) -> datetime | date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{value!r} is not a date like 2022-01-31 (or 2022-01-31T09:00)", field="--since"
        ) from None


def collect(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", "-s", help="Only this source (repeatable)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(help="Leave out news published before this date (YYYY-MM-DD)."),
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Fetch every configured source into the item pool and summarise what changed."""
    cli = state(ctx)
    when = _parse_when(since)
    context = cli.context()
    from varcomms import sources
    from varcomms.cli.progress import CollectBar

    with CollectBar(cli.stderr) as bar:
        report = sources.collect(context, only=source or None, since=when, progress=bar)
    if as_json:
        print_json(ctx, report.to_dict())
    else:
        cli.stdout.print(_summary_table(report))
        for failed in report.failed:
            if failed.hint:
                cli.stderr.print(
                    f"[dim]hint ({failed.name}):[/dim] {esc(failed.hint)}", highlight=False
                )
    if not report.ok:
        # Scheduled runs notice: exit 1 when a source failed; the others have landed.
        names = ", ".join(line.name for line in report.failed)
        raise SourceError(
            f"{len(report.failed)} source(s) failed: {names}",
            hint="the other sources were collected; see the table for the reasons",
        )


def _summary_table(report: CollectReport) -> Table:
    table = Table(
        "source", "status", "new", "updated", "unchanged", "time", "note",
        title=f"Collected {len(report.sources)} source(s) in {report.seconds:.1f} s",
    )  # fmt: skip
    for line in report.sources:
        style = STATUS_STYLE[line.status]
        table.add_row(
            line.name,
            f"[{style}]{line.status.value}[/{style}]",
            str(line.new),
            str(line.updated),
            str(line.unchanged),
            f"{line.seconds:.2f} s",
            esc(line.note),
        )
    table.add_section()
    table.add_row("total", "", str(report.new), str(report.updated), str(report.unchanged), "", "")
    return table


# -- items ---------------------------------------------------------------------------


def _when(item: Item, config: Config) -> str:
    moment = item.event.start if item.event else item.published
    if moment is None:
        return ""
    local = moment.astimezone(config.tz)
    if item.event and item.event.all_day:
        return local.strftime("%Y-%m-%d")
    return local.strftime("%Y-%m-%d %H:%M")


def _as_dict(item: Item) -> dict[str, Any]:
    event = item.event
    return {
        "id": item.id,
        "source": item.source,
        "kind": item.kind.value,
        "status": item.status.value,
        "title": item.title,
        "url": item.url,
        "published": item.published.isoformat() if item.published else None,
        "themes": list(item.themes),
        "brand": item.brand,
        "image_url": item.image_url,
        "image_alt": item.image_alt,
        "summary_html": item.summary_html,
        "guid": item.guid,
        "used_in": item.used_in,
        "event": None
        if event is None
        else {
            "start": event.start.isoformat(),
            "end": event.end.isoformat() if event.end else None,
            "all_day": event.all_day,
            "location": event.location,
            "uid": event.uid,
        },
    }


@items_app.command("list")
def list_items(
    ctx: typer.Context,
    kind: Annotated[ItemKind | None, typer.Option(help="news, event, campaign or manual.")] = None,
    theme: Annotated[str | None, typer.Option(help="Only items with this theme slug.")] = None,
    source: Annotated[str | None, typer.Option(help="Only items from this source.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Published (or first seen) on or after YYYY-MM-DD.")
    ] = None,
    status: Annotated[
        ItemStatus | None, typer.Option(help="new, used or skipped (default: all).")
    ] = None,
    upcoming: Annotated[
        bool,
        typer.Option(
            "--upcoming", help="Only events from now to editions.agenda_window_days ahead."
        ),
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many.")] = None,
    as_json: bool = JsonOption,
) -> None:
    """List pool items, newest first (events soonest first)."""
    cli = state(ctx)
    context = cli.context()
    when = _parse_when(since)
    found = pool.list_items(
        context.store,
        kind=ItemKind.EVENT if upcoming else kind,
        theme=theme,
        source=source,
        since=pool.as_utc(when, context.config) if when else None,
        status=status,
        **pool.upcoming_window(context) if upcoming else {},
        limit=limit,
    )
    if as_json:
        print_json(ctx, [_as_dict(item) for item in found])
        return
    table = Table("id", "kind", "when", "source", "title", "themes", "status",
                  title=f"{len(found)} item(s)")  # fmt: skip
    for item in found:
        table.add_row(
            item.id[:8],
            item.kind.value,
            _when(item, context.config),
            item.source,
            esc(item.title if len(item.title) <= 60 else item.title[:59] + "…"),
            ", ".join(item.themes),
            item.status.value,
        )
    cli.stdout.print(table)


@items_app.command()
def show(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(help="Item id (a unique prefix is enough).")],
    as_json: bool = JsonOption,
) -> None:
    """Show one item in full."""
    cli = state(ctx)
    context = cli.context()
    item = pool.get_item(context.store, item_id)
    if as_json:
        print_json(ctx, _as_dict(item))
        return
    table = Table(show_header=False, title=esc(item.title), title_justify="left")
    data = _as_dict(item)
    event = data.pop("event")
    data["published"] = _when(item, context.config) if item.event is None else None
    for key, value in data.items():
        if value not in (None, "", []):
            table.add_row(key, esc(", ".join(value) if isinstance(value, list) else value))
    if event:
        table.add_row("event", _when(item, context.config))
        for key in ("end", "location", "uid"):
            if event[key]:
                table.add_row(f"  {key}", esc(event[key]))
    cli.stdout.print(table)


@items_app.command()
def skip(
    ctx: typer.Context,
    item_ids: Annotated[list[str], typer.Argument(help="Item ids (unique prefixes).")],
    undo: Annotated[bool, typer.Option("--undo", help="Offer skipped items again.")] = False,
) -> None:
    """Skip items: drafting never offers them, and re-collecting keeps them skipped."""
    cli = state(ctx)
    store = cli.context().store
    for item_id in item_ids:
        item = pool.skip_item(store, item_id, undo=undo)
        cli.stdout.print(f"{item.id[:8]} {item.status.value}: {esc(item.title)}", highlight=False)


@items_app.command()
def tag(
    ctx: typer.Context,
    item_id: Annotated[str, typer.Argument(help="Item id (a unique prefix is enough).")],
    add: Annotated[list[str] | None, typer.Option("--add", "-a", help="Add a theme.")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", "-r", help="Remove a theme.")
    ] = None,
    exactly: Annotated[
        str | None, typer.Option("--set", help="Replace all themes (comma-separated).")
    ] = None,
) -> None:
    """Re-tag an item by hand; re-collecting keeps an editor's themes."""
    cli = state(ctx)
    context = cli.context()
    wanted = None
    if exactly is not None:
        wanted = [t.strip() for t in exactly.split(",") if t.strip()]
    if wanted is None and not add and not remove:
        raise InputError("give --add, --remove or --set", field="items tag")
    item = pool.retag_item(
        context.store,
        item_id,
        known=context.config.theme_labels,
        add=add or (),
        remove=remove or (),
        exactly=wanted,
    )
    cli.stdout.print(f"{item.id[:8]} themes: {', '.join(item.themes) or '(none)'}", highlight=False)
