"""Read the files editors put in the tool's folders, and nothing outside them.

Edition folders, the manual-items folder and ``audiences/`` live in git, and git stores
symbolic links. A link named ``intro.md`` pointing at ``/proc/self/environ`` or
``/etc/passwd`` would otherwise put that file into every reader's email. So a file is
read only when no part of its path below the folder's root is a symbolic link, it stays
inside the root, it is a regular file (not a FIFO or device that could hang a read), and
it is not larger than a text file an editor could have written.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from varcomms.errors import InputError

# Far above any edition, segment or manual item, far below what could exhaust memory.
MAX_FILE_BYTES = 4 * 1024 * 1024
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FLAGS = os.O_RDONLY | _NO_FOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
LINK_HINT = "replace the link by a copy of the file (varcomms never follows symbolic links)"


class UnsafePathError(InputError):
    """A file is a symbolic link, lies outside its folder, or is not a regular file."""


def check_inside(path: Path, root: Path) -> None:
    """Refuse ``path`` unless it lies in ``root`` with no symbolic link on the way.

    ``root`` itself may be a link: where the project keeps a folder is the operator's
    choice. Everything below it is content, and content may not point elsewhere.
    """
    base = root.absolute()
    target = path if path.is_absolute() else base / path
    try:
        relative = target.absolute().relative_to(base)
    except ValueError:
        raise UnsafePathError(f"is outside {root}", path=path) from None
    if ".." in relative.parts:
        raise UnsafePathError(f"is outside {root} ('..' in the path)", path=path)
    current = base
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            what = "is" if current == target else f"lies in {current.name}, which is"
            raise UnsafePathError(f"{what} a symbolic link", path=path, hint=LINK_HINT)


def read_bytes_inside(path: Path, root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file below ``root``; see :func:`check_inside`.

    Raises ``FileNotFoundError`` when the file does not exist, so callers can treat a
    missing optional file as before.
    """
    check_inside(path, root)
    try:
        # O_NOFOLLOW closes the gap between the check and the open.
        handle = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise
    except OSError as err:
        if _NO_FOLLOW and err.errno == getattr(os, "ELOOP", -1):
            raise UnsafePathError("is a symbolic link", path=path, hint=LINK_HINT) from err
        raise InputError(f"cannot read: {err.strerror or err}", path=path) from err
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError("is not a regular file", path=path)
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(
            f"is larger than {max_bytes // (1024 * 1024)} MB; that is no text an editor wrote",
            path=path,
        )
    return data


def read_text_inside(
    path: Path, root: Path, *, encoding: str = "utf-8-sig", max_bytes: int = MAX_FILE_BYTES
) -> str:
    """The text of a regular file below ``root`` (UTF-8; a byte order mark is dropped)."""
    data = read_bytes_inside(path, root, max_bytes=max_bytes)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise InputError("not UTF-8 text", path=path, hint="save the file as UTF-8") from err


def links_below(root: Path, folder: Path) -> list[Path]:
    """Symbolic links in ``folder`` (and ``folder`` itself), for lint to report."""
    found: list[Path] = []
    if folder.is_symlink():
        return [folder]
    try:
        check_inside(folder, root)
    except UnsafePathError:
        return [folder]
    for entry in sorted(folder.rglob("*")) if folder.is_dir() else ():
        if entry.is_symlink():
            found.append(entry)
    return found
