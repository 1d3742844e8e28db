"""Build the archive site: one page per sent edition, an index by year, an Atom feed.

Each page is the edition's web version of the variant with every section, so a visitor
sees everything any reader got; the greeting goes, and the personal links were already
general in the web version. Pages are rebuilt only when what they depend on changed
(:mod:`varcomms.archive.fingerprint`); the index and the feed are small and always made
anew, but written only when their content differs, so a sync to the website copies only
what changed.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from varcomms.archive.feed import atom_feed
from varcomms.archive.fingerprint import edition_fingerprint, site_fingerprint
from varcomms.archive.sent import SentEdition, sent_editions
from varcomms.config import Config
from varcomms.context import Context
from varcomms.render import Templates, render_variant
from varcomms.render.dates import long_date
from varcomms.render.variants import Variant
from varcomms.render.view import WEB_GREETING

MANIFEST = ".archive.json"
FEED = "feed.atom"
INDEX = "index.html"
ASSETS = "assets"
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_GREETING = re.compile(
    r"<p\b[^>]*>\s*Beste\s+" + re.escape(WEB_GREETING) + r",\s*</p>\s*", re.IGNORECASE
)
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


@dataclass
class ArchiveReport:
    out_dir: Path
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    index_written: bool = False
    feed_written: bool = False

    @property
    def editions(self) -> int:
        return len(self.built) + len(self.unchanged)

    def to_dict(self) -> dict[str, object]:
        return {
            "out_dir": str(self.out_dir),
            "built": self.built,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "index_written": self.index_written,
            "feed_written": self.feed_written,
        }


def default_out_dir(config: Config) -> Path:
    return config.data_dir / "archive"


def build_archive(
    ctx: Context, out_dir: Path | None = None, *, force: bool = False
) -> ArchiveReport:
    """Write the archive of every sent edition into ``out_dir``."""
    config = ctx.config
    out = out_dir or default_out_dir(config)
    out.mkdir(parents=True, exist_ok=True)
    report = ArchiveReport(out_dir=out)
    previous = {} if force else _read_manifest(out)
    site = site_fingerprint(config)
    env = _environment()
    entries = sent_editions(config, ctx.store)
    manifest: dict[str, str] = {}
    templates = Templates(config.templates_dir)  # compiled once for every edition page
    for entry in entries:
        fingerprint = edition_fingerprint(
            site, config.newsletters_dir / entry.id, entry.sent_at.isoformat()
        )
        manifest[entry.id] = fingerprint
        page = out / entry.id / INDEX
        if previous.get(entry.id) == fingerprint and page.is_file():
            report.unchanged.append(entry.id)
            continue
        _write(page, edition_page(config, entry, templates))
        report.built.append(entry.id)
    for gone in sorted(set(previous) - set(manifest)):
        # Reopened or cancelled since: it no longer belongs on the website.
        shutil.rmtree(out / gone, ignore_errors=True)
        report.removed.append(gone)
    logos = _copy_logos(config, out)
    report.index_written = _write_if_changed(out / INDEX, index_page(env, config, entries, logos))
    report.feed_written = _write_if_changed(out / FEED, atom_feed(config, entries))
    _write(out / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return report


def edition_page(config: Config, entry: SentEdition, templates: Templates | None = None) -> str:
    """The web version with every section, no greeting, and a way back to the index."""
    everything = Variant.of_sections(entry.edition.themed_sections)
    web = render_variant(config, entry.edition, everything, templates).web_html
    web = _GREETING.sub("", web, count=1)
    back = (
        '<div style="font-family:Arial,Helvetica,sans-serif;font-size:14px;'
        'padding:12px 16px;text-align:center">'
        '<a href="../index.html" style="color:#1a1a1a">← Alle nieuwsbrieven</a></div>'
    )
    match = _BODY_OPEN.search(web)
    if match is None:
        return web
    return web[: match.end()] + back + web[match.end() :]


def index_page(
    env: Environment, config: Config, entries: list[SentEdition], logos: dict[str, str]
) -> str:
    years: dict[int, list[dict[str, str]]] = {}
    for entry in entries:
        local = entry.sent_at.astimezone(config.tz)
        years.setdefault(local.year, []).append(
            {
                "id": entry.id,
                "href": f"{entry.id}/{INDEX}",
                "title": entry.edition.title,
                "subject": entry.edition.subject,
                "preheader": entry.edition.preheader,
                "date": long_date(local.date(), config.tz),
                "iso": local.isoformat(),
                "special": "ja" if entry.edition.kind == "special" else "",
            }
        )
    brands = [
        {
            "name": brand.name,
            "website": brand.website,
            "logo": logos.get(key),
            "alt": brand.logo_alt,
            "accent": brand.accent_colour,
        }
        for key, brand in config.brands.items()
    ]
    return env.get_template("index.html.j2").render(
        years=sorted(years.items(), reverse=True),
        brands=brands,
        accent=brands[0]["accent"] if brands else "#1a4f8b",
        feed=FEED,
        privacy=config.urls.privacy_statement,
        subscribe=config.urls.preferences_base,
        sender=config.sender.from_name,
    )


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(default=True),
        keep_trailing_newline=True,
    )


def _copy_logos(config: Config, out: Path) -> dict[str, str]:
    """Local copies of the logos, so the index shows them without reaching the internet."""
    found: dict[str, str] = {}
    for key, brand in config.brands.items():
        source = config.resolve(brand.logo_path)
        if not source.is_file():
            continue
        relative = f"{ASSETS}/{key}{source.suffix.lower()}"
        target = out / relative
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        found[key] = relative
    return found


def _read_manifest(out: Path) -> dict[str, str]:
    path = out / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    _write(path, text)
    return True
