"""Live preview: serve an edition's variants on localhost, re-rendered when a file changes.

The page an editor sees is the real email HTML with two substitutions: brand logos come
from their local copies (``Brand.logo_path``, inlined) so the preview works before the
logos are online, and personal fields show sample values. A small script, added only to
the preview, reloads the page when the server has rendered a newer version.
"""

from __future__ import annotations

import base64
import html as html_lib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from varcomms.config import Config
from varcomms.errors import VarcommsError
from varcomms.models import Edition, RenderedEmail
from varcomms.render.checks import Parsed
from varcomms.render.environment import PACKAGED_TEMPLATES, Templates
from varcomms.render.pipeline import render_variant
from varcomms.render.variants import Variant, variants_of
from varcomms.render.view import web_values

log = logging.getLogger(__name__)

EditionLoader = Callable[[], Edition]
_RELOAD_SCRIPT = """<script>
(function () {
  var seen = %d;
  setInterval(function () {
    fetch('/__version').then(function (r) { return r.text(); }).then(function (v) {
      if (parseInt(v, 10) !== seen) { location.reload(); }
    }).catch(function () {});
  }, 700);
})();
</script>"""


def local_logos(config: Config) -> dict[str, Path]:
    """Public logo URL → local copy, for previews and screenshots."""
    return {brand.logo_url: config.resolve(brand.logo_path) for brand in config.brands.values()}


def preview_html(config: Config, email: RenderedEmail) -> str:
    """The email as a preview shows it: sample personal values, logos inlined."""
    page = email.html
    for placeholder, value in web_values(config, email.edition_id).items():
        page = page.replace(placeholder, html_lib.escape(value))
    for url, path in local_logos(config).items():
        if path.exists():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            page = page.replace(url, f"data:image/png;base64,{data}")
    return page


def watched_files(folders: Iterable[Path]) -> dict[Path, float]:
    """Every file under ``folders`` with its modification time."""
    found: dict[Path, float] = {}
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if path.is_file():
                try:
                    found[path] = path.stat().st_mtime
                except OSError:
                    continue
    return found


@dataclass
class PreviewState:
    """The rendered variants of one edition and a version number that grows on change."""

    config: Config
    load: EditionLoader
    watch: tuple[Path, ...]
    variant_keys: tuple[str, ...] = ()
    version: int = 0
    pages: dict[str, RenderedEmail] = field(default_factory=dict)
    error: str | None = None
    # Held for the whole preview: auto_reload re-reads a template whose file changed.
    templates: Templates | None = None
    _stamps: dict[Path, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def render(self) -> None:
        """Render every variant again; on an error keep it to show instead of the page."""
        try:
            edition = self.load()
            variants: list[Variant] = list(variants_of(edition))
            if self.variant_keys:
                variants = [v for v in variants if v.key in self.variant_keys]
            if self.templates is None:
                self.templates = Templates(self.config.templates_dir, watch=True)
            parsed = Parsed()  # the variants share most of their markup: check it once
            pages = {
                v.key: render_variant(self.config, edition, v, self.templates, parsed=parsed)
                for v in variants
            }
        except VarcommsError as err:
            with self._lock:
                self.error = err.message + (f"\nhint: {err.hint}" if err.hint else "")
                self.version += 1
            log.warning("preview: %s", err.message)
            return
        with self._lock:
            self.pages = pages
            self.error = None
            self.version += 1

    def refresh_if_changed(self) -> bool:
        """Re-render when a watched file was added, removed or modified."""
        stamps = watched_files(self.watch)
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        self.render()
        return True


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2933}"
        "pre{white-space:pre-wrap;background:#fde8e8;padding:1rem;border-radius:4px}"
        f"</style></head><body>{body}</body></html>"
    ).encode()


def make_handler(state: PreviewState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            log.debug("preview: " + format, *args)

        def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            with state._lock:
                version, error, pages = state.version, state.error, dict(state.pages)
            reload = _RELOAD_SCRIPT % version
            if path == "/__version":
                self._send(str(version).encode(), "text/plain; charset=utf-8")
            elif error is not None and path != "/favicon.ico":
                body = f"<h1>Renderen mislukt</h1><pre>{html_lib.escape(error)}</pre>{reload}"
                self._send(_page("Fout", body), "text/html; charset=utf-8")
            elif path == "/":
                links = "".join(
                    f'<li><a href="/{key}">{html_lib.escape(key)}</a> · '
                    f'<a href="/{key}.txt">tekst</a> · <a href="/{key}.web">web</a></li>'
                    for key in pages
                )
                self._send(
                    _page("Voorbeeld", f"<h1>Varianten</h1><ul>{links}</ul>{reload}"),
                    "text/html; charset=utf-8",
                )
            else:
                self._variant(path.lstrip("/"), pages, reload)

        def _variant(self, name: str, pages: dict[str, RenderedEmail], reload: str) -> None:
            key, _, kind = name.partition(".")
            email = pages.get(key)
            if email is None:
                self._send(_page("Niet gevonden", "<h1>Niet gevonden</h1>"), "text/html", 404)
            elif kind == "txt":
                self._send(email.text.encode(), "text/plain; charset=utf-8")
            elif kind == "web":
                self._send(email.web_html.encode(), "text/html; charset=utf-8")
            else:
                page = preview_html(state.config, email).replace("</body>", reload + "</body>")
                self._send(page.encode(), "text/html; charset=utf-8")

    return Handler


class PreviewServer:
    """The HTTP server plus a thread that watches the files; stop() ends both."""

    def __init__(self, state: PreviewState, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.state = state
        self.httpd = ThreadingHTTPServer((host, port), make_handler(state))
        self.httpd.daemon_threads = True
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self, *, poll_seconds: float = 0.5, watch: bool = True) -> None:
        """Render once, then serve; with ``watch``, re-render when a file changes."""
        self.state.refresh_if_changed()
        self._threads = [
            threading.Thread(
                target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
            )
        ]
        if watch:
            self._threads.append(
                threading.Thread(target=self._watch, args=(poll_seconds,), daemon=True)
            )
        for thread in self._threads:
            thread.start()

    def _watch(self, poll_seconds: float) -> None:
        while not self._stop.wait(poll_seconds):
            self.state.refresh_if_changed()

    def wait(self) -> None:
        """Block until :meth:`stop` (or Ctrl+C in the caller)."""
        while not self._stop.wait(3600):
            pass

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def preview_state(
    config: Config, edition_id: str, load: EditionLoader, variant_keys: Iterable[str] = ()
) -> PreviewState:
    """A preview of one edition that watches its folder and both template folders."""
    watch = (config.newsletters_dir / edition_id, config.templates_dir, PACKAGED_TEMPLATES)
    return PreviewState(config=config, load=load, watch=watch, variant_keys=tuple(variant_keys))
