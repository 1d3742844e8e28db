"""Serving the app: waitress, a pure-Python production WSGI server, on one address.

``varcomms serve`` and the tests use this; in production run waitress (or another WSGI
server) on :func:`varcomms.web.create_app` directly, behind an HTTPS proxy (README).
"""

from __future__ import annotations

import logging
from typing import Any

from waitress.server import create_server


def make_server(app: Any, host: str = "127.0.0.1", port: int = 8000, *, threads: int = 8) -> Any:
    """A waitress server bound to ``host:port`` (port 0: any free one); call ``.run()``.

    ``server.effective_port`` tells the port. Waitress writes no access log, so neither
    client addresses nor the tokens in paths reach a log.
    """
    # Waitress logs a queue warning per busy moment; nothing personal, but noisy.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="varcomms",
        clear_untrusted_proxy_headers=True,
        # A burst of one-click POSTs from a large send must queue, not be refused.
        backlog=1024,
        connection_limit=1000,
    )
