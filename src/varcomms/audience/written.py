"""Files with personal data that the tool wrote where the operator asked: remembered by path.

Rejects files land beside the imported file, exports and ``export-person`` files wherever
``-o`` points. The tool does not own those files and never edits them, but an erasure
must be able to say which of them still hold the person: so their paths are kept in
``<data>/written-files.txt`` (private to its owner), one per line.
"""

from __future__ import annotations

import os
from pathlib import Path

from varcomms.keyfile import PRIVATE_FILE, private_dir

REGISTER = "written-files.txt"


def remember(data_dir: Path, path: Path) -> None:
    """Note that ``path`` was written with personal data (idempotent)."""
    line = str(Path(path).resolve())
    if line in _lines(data_dir):
        return
    private_dir(data_dir)
    fd = os.open(data_dir / REGISTER, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    with os.fdopen(fd, "a", encoding="utf-8") as stream:
        stream.write(line + "\n")


def remembered(data_dir: Path) -> list[Path]:
    """The remembered files that still exist."""
    return [Path(line) for line in _lines(data_dir) if Path(line).is_file()]


def _lines(data_dir: Path) -> list[str]:
    try:
        text = (data_dir / REGISTER).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [line for line in text.splitlines() if line]
