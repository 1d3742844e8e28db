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
    texts: list[dict[str, str]]  # visible text: computed colour and background
    path: Path | None

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
    context = chromium.new_context(
        viewport={"width": width, "height": 900},
        device_scale_factor=1,
        color_scheme="dark" if dark else "light",
    )
    try:
        page = context.new_page()
        page.route("**/*", _router(assets))
        page.route(PAGE_URL, lambda route: route.fulfill(body=html, content_type="text/html"))
        page.goto(PAGE_URL, wait_until="load")
        metrics = page.evaluate(
            """() => ({
                scrollWidth: document.documentElement.scrollWidth,
                clientWidth: document.documentElement.clientWidth,
                texts: Array.from(document.querySelectorAll('h1,h2,h3,p,li,a,span'))
                  .filter(el => el.offsetParent !== null && el.innerText.trim() !== ''
                                && el.getBoundingClientRect().height > 2)
                  .map(el => {
                    let node = el, background = 'rgba(0, 0, 0, 0)';
                    while (node && node.nodeType === 1) {
                      const bg = getComputedStyle(node).backgroundColor;
                      if (bg && !bg.endsWith(', 0)') && bg !== 'transparent') {
                        background = bg; break;
                      }
                      node = node.parentElement;
                    }
                    return {text: el.innerText.trim().slice(0, 40),
                            color: getComputedStyle(el).color, background};
                  }),
                images: Array.from(document.images).map(img => {
                    const box = img.getBoundingClientRect();
                    return {src: img.getAttribute('src'), alt: img.alt,
                            complete: img.complete, naturalWidth: img.naturalWidth,
                            left: box.left, right: box.right, width: box.width,
                            height: box.height};
                }),
            })"""
        )
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
        )
    finally:
        context.close()


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
        return [
            capture(
                chromium, html, width=width, assets=assets, path=out_dir / f"{stem}-{width}.png"
            )
            for width in widths
        ]


def write_screenshots(
    config: Config,
    edition: Edition,
    variants: Sequence[Variant],
    out_dir: Path,
    *,
    widths: tuple[int, ...] = WIDTHS,
) -> list[Path]:
    """Render each variant and write ``<key>-600.png`` and ``<key>-375.png``."""
    from varcomms.render.pipeline import render_variant
    from varcomms.render.preview import local_logos, preview_html

    assets = local_logos(config)
    paths: list[Path] = []
    with browser() as chromium:
        for variant in variants:
            page = preview_html(config, render_variant(config, edition, variant))
            for width in widths:
                path = out_dir / f"{variant.key}-{width}.png"
                capture(chromium, page, width=width, assets=assets, path=path)
                paths.append(path)
    return paths
