"""`varcomms serve`: the subscriber web app, for development and the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from varcomms.cli.state import state


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    demo: Annotated[
        Path | None,
        typer.Option(help="Serve the database of a `varcomms demo` folder (e.g. demo)."),
    ] = None,
    threads: Annotated[int, typer.Option(help="Worker threads.")] = 8,
) -> None:
    """Serve sign-up, preference centre and unsubscribe pages (plain http; see README)."""
    # Imported here: Flask and waitress are needed by this command only.
    from varcomms.web import create_app
    from varcomms.web.server import make_server

    cli = state(ctx)
    context = cli.context()
    if demo is not None:
        from varcomms.demo import demo_context

        context = demo_context(context.config, demo, secrets=context.secrets)
    app = create_app(context=context, secure_cookies=False)
    server = make_server(app, host, port, threads=threads)
    url = f"http://{host}:{server.effective_port}"
    cli.stdout.print(f"Serving the subscriber pages on {url}/aanmelden (Ctrl+C stops).")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
