"""`varcomms render` and `varcomms preview`: an edition as email, text and web page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from varcomms.cli.state import print_json, state
from varcomms.config import Config
from varcomms.errors import VarcommsError
from varcomms.models import Edition
from varcomms.render import RenderOutput, render_edition
from varcomms.render.variants import select_variants

VariantOption = Annotated[
    list[str] | None,
    typer.Option("--variant", help="Only this variant (repeatable); see the list `render` prints."),
]


def _load(config: Config, edition_id: str) -> Edition:
    # The editions stage reads edition folders; imported here so render does not need it.
    from varcomms.editions import load_edition

    return load_edition(config, edition_id)


def default_out_dir(config: Config, edition_id: str) -> Path:
    return config.resolve(Path("out")) / edition_id


def render_command(
    ctx: typer.Context,
    edition_id: Annotated[str, typer.Argument(metavar="ID", help="The edition, e.g. 2022-02.")],
    variant: VariantOption = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output folder (default: out/<ID>).")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON.")
    ] = False,
) -> None:
    """Render an edition: HTML, plain text and web version for each variant."""
    cli = state(ctx)
    config = cli.context().config
    edition = _load(config, edition_id)
    variants = select_variants(edition, variant or ())
    out_dir = out or default_out_dir(config, edition.id)
    with cli.stderr.status(f"Rendering {len(variants)} variant(s) of {edition.id}…"):
        output = render_edition(config, edition, out_dir, variants)
    if json_output:
        print_json(ctx, output_json(output))
    else:
        cli.stdout.print(output_table(output))
        for rendered in output.variants:
            for finding in rendered.findings:
                colour = "red" if finding.severity == "error" else "yellow"
                cli.stdout.print(
                    f"[{colour}]{escape(f'{rendered.variant.key}: {finding}')}[/{colour}]",
                    highlight=False,
                )
    if not output.ok:
        count = sum(len(rendered.errors) for rendered in output.variants)
        raise VarcommsError(
            f"the quality checks found {count} error(s); the files are written to {out_dir}",
            hint="fix the edition or the templates and render again",
        )


def output_json(output: RenderOutput) -> dict:
    return {
        "edition": output.edition_id,
        "out_dir": str(output.out_dir),
        "ok": output.ok,
        "variants": [
            {
                "key": rendered.variant.key,
                "sections": sorted(rendered.variant.sections),
                "themes": sorted(rendered.variant.themes),
                "html": str(rendered.html_path),
                "text": str(rendered.text_path),
                "web": str(rendered.web_path),
                "html_bytes": len(rendered.email.html.encode()),
                "findings": [
                    # The keys this output has always had (level/rule) stay for its readers.
                    {"level": f.severity, "rule": f.code, "message": f.message}
                    for f in rendered.findings
                ],
            }
            for rendered in output.variants
        ],
    }


def output_table(output: RenderOutput) -> Table:
    table = Table(title=f"Edition {output.edition_id} → {output.out_dir}")
    table.add_column("variant")
    table.add_column("themed sections")
    table.add_column("HTML", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("warnings", justify="right")
    for rendered in output.variants:
        errors = len(rendered.errors)
        warnings = len(rendered.findings) - errors
        table.add_row(
            rendered.variant.key,
            ", ".join(sorted(rendered.variant.sections)) or "—",
            f"{len(rendered.email.html.encode()) / 1024:.1f} KB",
            f"[red]{errors}[/red]" if errors else "0",
            str(warnings),
        )
    return table


def preview_command(
    ctx: typer.Context,
    edition_id: Annotated[str, typer.Argument(metavar="ID", help="The edition, e.g. 2022-02.")],
    variant: VariantOption = None,
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8025,
    screenshot: Annotated[
        bool, typer.Option("--screenshot", help="Write PNGs at 600 and 375 px and exit.")
    ] = False,
    out: Annotated[
        Path | None, typer.Option("--out", help="Screenshot folder (default: out/<ID>).")
    ] = None,
    dark: Annotated[
        bool, typer.Option("--dark", help="With --screenshot: dark-mode PNGs too (-dark.png).")
    ] = False,
) -> None:
    """Serve an edition on localhost and re-render on every change (or take screenshots)."""
    from varcomms.render.preview import PreviewServer, preview_state

    cli = state(ctx)
    config = cli.context().config
    if screenshot:
        from varcomms.render.screenshots import write_screenshots

        edition = _load(config, edition_id)
        variants = select_variants(edition, variant or ())
        shots = write_screenshots(
            config, edition, variants, out or default_out_dir(config, edition.id), dark=dark
        )
        for path in shots.paths:
            cli.stdout.print(escape(str(path)), highlight=False)
        if shots.overflows:
            for line in shots.overflows:
                cli.stdout.print(f"[red]{escape(line)}[/red]", highlight=False)
            raise VarcommsError(
                f"the layout is wider than the screen in {len(shots.overflows)} screenshot(s)",
                hint="an image or table wider than the 552 px column; "
                "`varcomms render` names images with a width attribute that is too wide",
            )
        return
    preview = preview_state(config, edition_id, lambda: _load(config, edition_id), variant or ())
    server = PreviewServer(preview, port=port)
    server.start()
    cli.stderr.print(f"Preview of {edition_id} on {server.url} — Ctrl+C stops.")
    try:
        server.wait()
    except KeyboardInterrupt:
        cli.stderr.print("Stopped.")
    finally:
        server.stop()
