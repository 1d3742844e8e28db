"""`varcomms audience …`: subscribers, imports and exports, segments, privacy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, TextIO, cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from varcomms import audience
from varcomms.audience.written import remember
from varcomms.cli.output import data as esc
from varcomms.cli.state import JsonOption, print_json, state
from varcomms.errors import StateError
from varcomms.keyfile import open_private
from varcomms.models import is_everyone

app = typer.Typer(help="Subscribers, segments, suppression and privacy.", no_args_is_help=True)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV file (comma, semicolon or tab) or Excel .xlsx.")
    ],
    mapping: Annotated[
        str,
        typer.Option(
            help="Column mapping: auto, varcomms, mailchimp, laposta or a configured one."
        ),
    ] = "auto",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the outcome without writing anything.")
    ] = False,
    rejects: Annotated[
        Path | None,
        typer.Option(help="Where to write skipped rows (default: FILE.rejects.csv beside it)."),
    ] = None,
    lines: Annotated[
        bool, typer.Option("--lines", help="Report every line, not only the skipped ones.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Import even when erasure hashes exist that no available key can check.",
        ),
    ] = False,
    as_json: bool = JsonOption,
) -> None:
    """Import subscribers from a CSV file: validate, upsert, report every skipped line."""
    cli = state(ctx)
    context = cli.context()
    all_lines: list[audience.LineResult] = []
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=cli.stderr,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task(f"Importing {esc(file.name)}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = audience.import_csv(
            context,
            file,
            mapping=mapping,
            dry_run=dry_run,
            rejects_path=rejects,
            progress=advance,
            on_line=all_lines.append if lines else None,
            force=force,
        )
    data = report.to_dict()
    if lines:
        data["lines"] = [line.to_dict() for line in all_lines]
    if as_json:
        print_json(ctx, data)
        return
    out = cli.stdout
    verb = "Would import" if dry_run else "Imported"
    out.print(
        f"{verb} [bold]{esc(file.name)}[/bold] with the {esc(report.mapping)} mapping "
        f"({report.encoding}, {report.delimiter}-separated): "
        + ", ".join(f"{report.count(o)} {o.value}" for o in audience.ImportOutcome),
        highlight=False,
    )
    shown = all_lines if lines else report.skipped
    if shown:
        table = Table("line", "outcome", "email", "detail")
        for line in shown:
            detail = line.reason or (", ".join(line.changes) if line.changes else "")
            table.add_row(str(line.line), line.outcome.value, line.email or "", detail)
        out.print(table)
    for note in report.notes:
        out.print(f"note: {note}", highlight=False)
    if report.rejects_path:
        out.print(f"Skipped rows written to {report.rejects_path}", highlight=False)


@app.command()
def export(
    ctx: typer.Context,
    segment: Annotated[str | None, typer.Option(help="Only this segment's members.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file to write (default: stdout).")
    ] = None,
    recipients_only: Annotated[
        bool,
        typer.Option(
            "--recipients-only", help="Only people a send would reach (subscribed, not suppressed)."
        ),
    ] = False,
) -> None:
    """Export subscribers to CSV in the varcomms format (import reads it back)."""
    cli = state(ctx)
    context = cli.context()
    chosen = audience.load_segment(context.config, segment) if segment else None
    destination = output if output is not None else cast(TextIO, cli.stdout.file)
    written = audience.export_csv(
        context.store, destination, segment=chosen, recipients_only=recipients_only
    )
    if output is not None:
        remember(context.config.data_dir, output)  # an erasure checks it later
    cli.stderr.print(f"Exported {written} subscriber(s).", highlight=False)


@app.command()
def segments(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List the segments in the audiences folder with live recipient counts."""
    cli = state(ctx)
    context = cli.context()
    rows = [
        {
            "name": segment.name,
            "description": segment.description,
            "recipients": audience.count(context.store, segment, now=context.clock.now()),
            "rule": segment.describe(),
        }
        for segment in audience.load_segments(context.config)
    ]
    if as_json:
        print_json(ctx, rows)
        return
    if not rows:
        cli.stdout.print(f"No segments in {context.config.audiences_dir}.", highlight=False)
        return
    table = Table("segment", "recipients", "description", "rule")
    for row in rows:
        table.add_row(
            str(row["name"]), str(row["recipients"]), esc(row["description"]), esc(row["rule"])
        )
    cli.stdout.print(table)


@app.command()
def count(
    ctx: typer.Context,
    segment: Annotated[str | None, typer.Argument(help="Segment name (default: everyone).")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Count the recipients of a segment (subscribed and not suppressed)."""
    cli = state(ctx)
    context = cli.context()
    if is_everyone(segment):
        segment = None  # "all" is everyone, as in edition.yaml and `send --segment`
    chosen = audience.load_segment(context.config, segment) if segment else None
    data = {
        "segment": segment,
        "recipients": audience.count(context.store, chosen, now=context.clock.now()),
        "matching": audience.count_matching(context.store, chosen),
    }
    if as_json:
        print_json(ctx, data)
        return
    cli.stdout.print(
        f"{data['recipients']} recipient(s) in {segment or 'the whole audience'} "
        f"({data['matching']} match the rule, any status)",
        highlight=False,
    )


@app.command()
def show(ctx: typer.Context, email: str, as_json: bool = JsonOption) -> None:
    """Show one subscriber: profile, themes, status and consent record."""
    cli = state(ctx)
    context = cli.context()
    record = audience.get_subscriber(context.store, email)
    suppressed = audience.find_suppression(
        context.store, email, key=audience.erasure_key(context, strict=False)
    )
    data = record.to_dict()
    data["suppressed"] = suppressed.describe() if suppressed else None
    if as_json:
        print_json(ctx, data)
        return
    table = Table(show_header=False, box=None)
    for key in ("email", "name", "first_name", "organisation", "org_type", "municipality"):
        table.add_row(key, esc(data[key] or ""))
    table.add_row("themes", esc(", ".join(data["themes"])))
    table.add_row("language", data["language"])
    table.add_row("status", data["status"] + (f" ({data['suppressed']})" if suppressed else ""))
    for key, value in data["consent"].items():
        table.add_row(f"consent {key}", str(value or ""))
    table.add_row("created", data["created_at"])
    table.add_row("updated", data["updated_at"])
    cli.stdout.print(table)


@app.command("export-person")
def export_person(
    ctx: typer.Context,
    email: str,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="JSON file to write (default: stdout).")
    ] = None,
) -> None:
    """Everything held about one person as JSON (right of access)."""
    cli = state(ctx)
    context = cli.context()
    data = audience.export_person(context, email)
    if output is not None:
        remember(context.config.data_dir, output)
        with open_private(output, encoding="utf-8", newline="\n") as stream:
            stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        cli.stderr.print(f"Written to {output}", highlight=False)
        return
    print_json(ctx, data)


@app.command()
def erase(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The person's full address (nothing else).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: bool = JsonOption,
) -> None:
    """Erase one person: profile, ledger rows, outbox files; a keyed hash stays suppressed."""
    from varcomms.delivery.erasure import erase as erase_person

    cli = state(ctx)
    target = audience.erasure_target(email)  # refuse a fragment before asking anything
    if not yes and not typer.confirm(
        f"Erase {target.address} from the database and the outbox? This cannot be undone",
        err=True,
    ):
        raise StateError("not erased: not confirmed", hint="pass --yes to skip the question")
    report = erase_person(cli.context(), target.address)
    if as_json:
        print_json(ctx, report.to_dict())
        return
    out = cli.stdout
    if report.counts:
        changed = ", ".join(f"{name}: {n}" for name, n in sorted(report.counts.items()))
        out.print(f"Erased. Rows changed — {changed}.", highlight=False)
    else:
        out.print("Nothing was held about that address in the database.", highlight=False)
    out.print("Its keyed hash is on the suppression list: never imported again.", highlight=False)
    if report.files_removed or report.files_redacted:
        out.print(
            f"Outbox: {len(report.files_removed)} message file(s) removed, "
            f"{len(report.files_redacted)} index file(s) cleaned.",
            highlight=False,
        )
    if report.not_reached:
        out.print("Not erased — these files still hold the address; delete or edit them:")
        for path in report.not_reached:
            out.print(f"  {path}", highlight=False, markup=False)
    for note in report.notes:
        out.print(f"note: {note}", highlight=False, markup=False)


@app.command()
def suppress(
    ctx: typer.Context,
    value: Annotated[str, typer.Argument(help="An address, or a domain with --domain.")],
    domain: Annotated[bool, typer.Option("--domain", help="Suppress a whole domain.")] = False,
    reason: Annotated[str, typer.Option(help="Why (kept with the entry).")] = "manual",
    as_json: bool = JsonOption,
) -> None:
    """Put an address or domain on the suppression list (never mailed again)."""
    cli = state(ctx)
    context = cli.context()
    kind = "domain" if domain else "address"
    added = audience.suppress(
        context.store, value, kind=kind, reason=reason, source="cli", now=context.clock.now()
    )
    if as_json:
        print_json(ctx, {"kind": kind, "added": added})
        return
    cli.stdout.print(
        f"{'Suppressed' if added else 'Already suppressed'}: {kind} {value}", highlight=False
    )


@app.command()
def suppressions(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List the suppression list (erased people appear only as hashes)."""
    cli = state(ctx)
    entries = audience.list_suppressions(cli.context().store)
    rows = [
        {
            "kind": e.kind,
            "value": e.value,
            "reason": e.reason,
            "source": e.source,
            "created_at": e.created_at.isoformat(),
        }
        for e in entries
    ]
    if as_json:
        print_json(ctx, rows)
        return
    table = Table("kind", "value", "reason", "source", "since")
    for row in rows:
        value = str(row["value"]) if row["kind"] != "hash" else str(row["value"])[:20] + "…"
        table.add_row(row["kind"], value, row["reason"], row["source"] or "", row["created_at"])
    cli.stdout.print(table)


@app.command("unsubscribe-mailbox")
def unsubscribe_mailbox(
    ctx: typer.Context,
    folder: Annotated[
        Path | None, typer.Option(help="A folder of .eml files (e.g. an export of the mailbox).")
    ] = None,
    imap: Annotated[
        str | None, typer.Option(help="IMAP host of the unsubscribe mailbox (TLS, port 993).")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="IMAP user; the password is VARCOMMS_IMAP_PASSWORD.")
    ] = None,
    mailbox: Annotated[str, typer.Option(help="IMAP folder to read.")] = "INBOX",
    port: Annotated[int, typer.Option(help="IMAP port.")] = 993,
    by_sender: Annotated[
        bool,
        typer.Option(
            "--by-sender",
            help="Also unsubscribe the From address of a mail saying 'afmelden' without a link "
            "token (a From can be forged; off by default).",
        ),
    ] = False,
    as_json: bool = JsonOption,
) -> None:
    """Apply the unsubscribe requests mailed to the List-Unsubscribe mailto: address."""
    from varcomms.audience.mailbox import FolderSource, ImapSource, apply_unsubscribe_mail

    cli = state(ctx)
    context = cli.context()
    if (folder is None) == (imap is None):
        raise StateError("give either --folder or --imap", hint="one source of mail at a time")
    if folder is not None:
        report = apply_unsubscribe_mail(context, FolderSource(folder), by_sender=by_sender)
    else:
        password = context.secrets.require("imap_password", purpose="reading the IMAP mailbox")
        source = ImapSource(imap or "", user or "", password, port=port, folder=mailbox)
        try:
            report = apply_unsubscribe_mail(context, source, by_sender=by_sender)
        finally:
            source.close()
    if as_json:
        print_json(ctx, report.to_dict())
        return
    cli.stdout.print(
        f"Unsubscribed {len(report.applied)}; already unsubscribed {len(report.already)}; "
        f"skipped {len(report.skipped)}.",
        highlight=False,
    )
    for name, why in report.skipped.items():
        cli.stdout.print(f"  skipped {name}: {why}", highlight=False)
