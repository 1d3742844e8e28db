"""What an archived page depends on, as one hash, so a rebuild skips what has not changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from varcomms import __version__
from varcomms.config import Config

# The packaged templates: a change there (a new release, or a developer's edit) changes
# every page, like an override in the project's templates folder does.
_PACKAGED_TEMPLATES = Path(__file__).resolve().parent.parent / "render" / "templates"
_OWN_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _files(root: Path) -> Iterable[Path]:
    if not root.is_dir():
        return ()
    return sorted(path for path in root.rglob("*") if path.is_file())


def _update_with_tree(digest: hashlib._Hash, root: Path) -> None:
    for path in _files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")


def site_fingerprint(config: Config) -> str:
    """Everything every page shares: the code's version, templates, brands and links."""
    digest = hashlib.sha256(__version__.encode())
    shared = {
        "brands": {name: brand.model_dump(mode="json") for name, brand in config.brands.items()},
        "urls": config.urls.model_dump(mode="json"),
        "sender": config.sender.model_dump(mode="json"),
        "themes": [theme.model_dump(mode="json") for theme in config.themes],
        "timezone": str(config.timezone),
    }
    digest.update(json.dumps(shared, sort_keys=True).encode())
    for root in (_PACKAGED_TEMPLATES, _OWN_TEMPLATES, config.templates_dir):
        _update_with_tree(digest, root)
    return digest.hexdigest()


def edition_fingerprint(site: str, folder: Path, sent_at: str) -> str:
    """One edition's page: the shared part, its own files and its send date."""
    digest = hashlib.sha256(site.encode())
    digest.update(sent_at.encode())
    _update_with_tree(digest, folder)
    return digest.hexdigest()
