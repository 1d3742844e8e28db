"""A random key kept in a file of its own: made once, readable only by its owner.

For keys that have a documented fallback when no secret is set in the environment (the
erasure key, the demo's signing key). Real deployments set ``VARCOMMS_*`` secrets.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def read_or_create_key(path: Path) -> str:
    """The key in ``path``; a new random one (mode 0600) when the file does not exist."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    # O_EXCL: two processes racing make one key, and the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as stream:
        stream.write(value)
    return value
