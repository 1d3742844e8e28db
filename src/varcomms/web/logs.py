"""Request logging without personal data: no client address, no token in a path."""

from __future__ import annotations

import re

# /afmelden/<token>, /voorkeuren/<token>, /bevestigen/<token>: the token names a person.
_TOKEN_IN_PATH = re.compile(r"/([A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})")


def redact_path(path: str) -> str:
    """The path with tokens replaced and the query string dropped (it may hold data)."""
    return _TOKEN_IN_PATH.sub("/…", path.split("?", 1)[0])
