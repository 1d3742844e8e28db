"""Private files: random keys kept in a file of their own, and files holding personal data.

Keys with a documented fallback when no secret is set in the environment (the erasure
key, the demo's signing key) are made once, readable only by their owner. Files that hold
personal data (the database, exports, rejects files) are created 0600 in 0700 folders
whatever the umask: on a shared server every other account could read them otherwise.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import TextIO

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Make ``path`` (and missing parents) a folder only its owner can enter.

    With ``tighten``, an existing folder that others can read is tightened too (the
    tool's own data folder); a folder we do not own is left as it is.
    """
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if not tighten:
        return path
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(PRIVATE_DIR)
    except PermissionError:
        pass
    return path


def private_file(path: Path) -> None:
    """Make an existing file readable by its owner only."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(PRIVATE_FILE)
    except (FileNotFoundError, PermissionError):
        pass


def open_private(path: Path, *, encoding: str, errors: str = "strict", newline: str = "") -> TextIO:
    """Open ``path`` for writing (truncating it), created 0600 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with contextlib.suppress(OSError):
        os.fchmod(fd, PRIVATE_FILE)  # an existing file keeps its mode through O_CREAT
    return os.fdopen(fd, "w", encoding=encoding, errors=errors, newline=newline)


def read_or_create_key(path: Path) -> str:
    """The key in ``path``; a new random one (mode 0600) when the file does not exist."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    private_dir(path.parent)
    value = secrets.token_hex(32)
    # O_EXCL: two processes racing make one key, and the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as stream:
        stream.write(value)
    return value
