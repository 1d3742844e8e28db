"""Screenshots of a rendered email at phone and desktop widths (Playwright + Chromium).

Playwright drives Debian's Chromium at /usr/bin/chromium; it never downloads a browser.
Requests are answered from memory: brand logos from their local copies, anything else
the page asks for over the network with a neutral placeholder, so a screenshot never
depends on (or leaks to) the internet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from varcomms.config import Config
from varcomms.errors import VarcommsError
from varcomms.models import Edition
from varcomms.render.variants import Variant

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
WIDTHS = (600, 375)
PAGE_URL = "https://preview.varcomms.invalid/"

# A neutral picture for remote images in screenshots (no network in previews or CI).
PLACEHOLDER_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1104" height="552" viewBox="0 0 1104 552">'
    '<rect width="1104" height="552" fill="#c9d6e3"/>'
    '<path d="M0 552 L360 250 L560 430 L760 300 L1104 552 Z" fill="#9fb3c8"/>'
    '<circle cx="860" cy="150" r="70" fill="#e6edf4"/></svg>'
)


class BrowserError(VarcommsError):
    """Chromium or Playwright is missing or failed."""


@dataclass(frozen=True, slots=True)
class PageReport:
    """What a test wants to know about a rendered page at one width."""

    width: int
    scroll_width: int
    client_width: int
    images: list[dict[str, Any]]
    texts: list[dict[str, Any]]  # visible text: computed colour, background, font size
    path: Path | None
    dark: bool = False

    @property
    def scrolls_horizontally(self) -> bool:
        return self.scroll_width > self.client_width


@contextmanager
def browser(executable: Path = CHROMIUM) -> Iterator[Any]:
    """A headless Chromium (Playwright), closed afterwards."""
    if not executable.exists():
        raise BrowserError(
            f"{executable} not found",
            hint="install Debian's Chromium: apt-get install -y chromium",
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise BrowserError("the playwright package is not installed") from err
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            instance.close()


def _router(assets: Mapping[str, Path]) -> Callable[[Any], None]:
    def handle(route: Any) -> None:
        url = route.request.url
        if url == PAGE_URL:
            route.continue_()
            return
        local = assets.get(url)
        if local is not None:
            route.fulfill(status=200, body=local.read_bytes(), content_type="image/png")
        elif route.request.resource_type == "image":
            route.fulfill(status=200, body=PLACEHOLDER_SVG, content_type="image/svg+xml")
        else:
            route.abort()

    return handle


_METRICS = """() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    texts: Array.from(document.querySelectorAll('h1,h2,h3,p,li,a,span,td'))
      .filter(el => el.offsetParent !== null && el.innerText.trim() !== ''
                    && el.getBoundingClientRect().height > 2
                    && (el.tagName !== 'TD' || Array.from(el.childNodes).some(
                          n => n.nodeType === 3 && n.textContent.trim() !== '')))
      .map(el => {
        let node = el, background = 'rgba(0, 0, 0, 0)';
        while (node && node.nodeType === 1) {
          const bg = getComputedStyle(node).backgroundColor;
          if (bg && !bg.endsWith(', 0)') && bg !== 'transparent') {
            background = bg; break;
          }
          node = node.parentElement;
        }
        const style = getComputedStyle(el);
        return {text: el.innerText.trim().slice(0, 40), color: style.color, background,
                fontSize: parseFloat(style.fontSize), tag: el.tagName.toLowerCase()};
      }),
    images: Array.from(document.images).map(img => {
        const box = img.getBoundingClientRect();
        return {src: img.getAttribute('src'), alt: img.alt,
                complete: img.complete, naturalWidth: img.naturalWidth,
                left: box.left, right: box.right, width: box.width,
                height: box.height};
    }),
})"""


class Camera:
    """One Chromium for many shots: a page per colour scheme, opened on first use.

    Opening a browser context costs more than loading an email into a page that is
    already there, so every variant and width of a ``preview --screenshot`` run goes
    through the same page (``set_viewport_size`` between widths).
    """

    def __init__(self, chromium: Any, assets: Mapping[str, Path]) -> None:
        self.chromium = chromium
        self.assets = assets
        self._pages: dict[bool, tuple[Any, Any]] = {}
        self._html = ""

    def _page(self, dark: bool) -> Any:
        if dark not in self._pages:
            context = self.chromium.new_context(
                viewport={"width": WIDTHS[0], "height": 900},
                device_scale_factor=1,
                color_scheme="dark" if dark else "light",
            )
            page = context.new_page()
            page.route("**/*", _router(self.assets))
            page.route(
                PAGE_URL, lambda route: route.fulfill(body=self._html, content_type="text/html")
            )
            self._pages[dark] = (context, page)
        return self._pages[dark][1]

    def shoot(
        self, html: str, *, width: int, path: Path | None = None, dark: bool = False
    ) -> PageReport:
        """Load ``html`` at ``width`` CSS pixels, measure it; a full-page PNG to ``path``."""
        page = self._page(dark)
        self._html = html
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(PAGE_URL, wait_until="load")
        metrics = page.evaluate(_METRICS)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path), full_page=True)
        return PageReport(
            width=width,
            scroll_width=metrics["scrollWidth"],
            client_width=metrics["clientWidth"],
            images=metrics["images"],
            texts=metrics["texts"],
            path=path,
            dark=dark,
        )

    def close(self) -> None:
        for context, _ in self._pages.values():
            context.close()
        self._pages.clear()


def capture(
    chromium: Any,
    html: str,
    *,
    width: int,
    assets: Mapping[str, Path],
    path: Path | None = None,
    dark: bool = False,
) -> PageReport:
    """Load ``html`` at ``width`` CSS pixels; write a full-page PNG to ``path``."""
    camera = Camera(chromium, assets)
    try:
        return camera.shoot(html, width=width, path=path, dark=dark)
    finally:
        camera.close()


def screenshot_files(
    html: str,
    out_dir: Path,
    stem: str,
    *,
    assets: Mapping[str, Path],
    widths: tuple[int, ...] = WIDTHS,
    executable: Path = CHROMIUM,
) -> list[PageReport]:
    """PNG screenshots ``<stem>-<width>.png`` of one email, one per width."""
    with browser(executable) as chromium:
        camera = Camera(chromium, assets)
        try:
            return [
                camera.shoot(html, width=width, path=out_dir / f"{stem}-{width}.png")
                for width in widths
            ]
        finally:
            camera.close()


@dataclass(frozen=True, slots=True)
class Screenshots:
    """What ``preview --screenshot`` wrote, and where the layout breaks."""

    paths: list[Path]
    reports: list[tuple[str, PageReport]]  # (variant key, report), one per PNG

    @property
    def overflows(self) -> list[str]:
        """One line per page wider than its viewport: a reader would scroll sideways."""
        return [
            f"{key} at {report.width} px{' (dark)' if report.dark else ''}: the email is "
            f"{report.scroll_width} px wide and scrolls sideways"
            for key, report in self.reports
            if report.scrolls_horizontally
        ]


def write_screenshots(
    config: Config,
    edition: Edition,
    variants: Sequence[Variant],
    out_dir: Path,
    *,
    widths: tuple[int, ...] = WIDTHS,
    dark: bool = False,
) -> Screenshots:
    """Render each variant and write ``<key>-600.png`` and ``<key>-375.png`` (with
    ``dark``, also ``<key>-<width>-dark.png``), measuring each page's width as Chromium
    lays it out. One browser and one page serve every variant and width."""
    from varcomms.render.environment import Templates
    from varcomms.render.pipeline import render_variant
    from varcomms.render.preview import local_logos, preview_html

    schemes = (False, True) if dark else (False,)
    paths: list[Path] = []
    reports: list[tuple[str, PageReport]] = []
    templates = Templates(config.templates_dir)
    with browser() as chromium:
        camera = Camera(chromium, local_logos(config))
        try:
            for variant in variants:
                page = preview_html(config, render_variant(config, edition, variant, templates))
                for scheme in schemes:
                    for width in widths:
                        suffix = "-dark" if scheme else ""
                        path = out_dir / f"{variant.key}-{width}{suffix}.png"
                        report = camera.shoot(page, width=width, path=path, dark=scheme)
                        paths.append(path)
                        reports.append((variant.key, report))
        finally:
            camera.close()
    return Screenshots(paths, reports)
