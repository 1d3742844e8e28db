"""Render an edition: each variant to HTML, plain text and a web version, then check it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import escape

from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.findings import Finding
from varcomms.models import PERSONAL_FIELDS, Edition, RenderedEmail
from varcomms.render.checks import Parsed, check_html, check_text
from varcomms.render.compile import compile_mjml, render_template
from varcomms.render.environment import Templates
from varcomms.render.placeholders import defuse_text, fresh_placeholders, seal_html, seal_text
from varcomms.render.text import tidy
from varcomms.render.variants import Variant, variants_of
from varcomms.render.view import build_view, web_values


@dataclass(frozen=True, slots=True)
class RenderedVariant:
    """One variant as written to disk, with its quality findings."""

    variant: Variant
    email: RenderedEmail
    findings: tuple[Finding, ...]
    html_path: Path
    text_path: Path
    web_path: Path

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


@dataclass(frozen=True, slots=True)
class RenderOutput:
    edition_id: str
    out_dir: Path
    variants: tuple[RenderedVariant, ...]

    @property
    def ok(self) -> bool:
        """No error-level finding in any variant (warnings are allowed)."""
        return not any(rendered.errors for rendered in self.variants)


def template_names(edition: Edition, part: str) -> list[str]:
    """Where to look for an edition's template: its own, its kind's, the default.

    ``part`` is "email" (MJML) or "text".
    """
    suffix = ".mjml.j2" if part == "email" else ".txt.j2"
    names: list[str] = []
    if edition.template:
        names.append(f"{part}/{edition.template}{suffix}")
    names += [f"{part}/{edition.kind}{suffix}", f"{part}/newsletter{suffix}"]
    return names


# Marks around what only the emailed copy has ("Bekijk in browser"); see newsletter.mjml.j2.
EMAIL_ONLY_START = "<!--vc:email-only-->"
EMAIL_ONLY_END = "<!--/vc:email-only-->"
_EMAIL_ONLY = re.compile(re.escape(EMAIL_ONLY_START) + ".*?" + re.escape(EMAIL_ONLY_END), re.S)


def mjml_document(
    config: Config,
    edition: Edition,
    variant: Variant,
    placeholders: Mapping[str, str] = PERSONAL_FIELDS,
    *,
    templates: Templates,
) -> tuple[str, str, dict[str, Any]]:
    """Step 1 (Jinja): the template used, the MJML document and the template context."""
    _check_variant(edition, variant)
    context = build_view(config, edition, variant, placeholders).context()
    name, document = render_template(templates, template_names(edition, "email"), context)
    return name, document, context


def email_html(templates: Templates, name: str, document: str, context: dict[str, Any]) -> str:
    """Step 2 (MJML): check and compile the document; the marks stay for web_version."""
    return compile_mjml(document, templates=templates, template=name, context=context)


def text_part(templates: Templates, edition: Edition, context: dict[str, Any]) -> str:
    """Step 3: the plain-text part, from the same context as the HTML."""
    _, text = render_template(templates, template_names(edition, "text"), context)
    return tidy(text)


def web_version(config: Config, edition_id: str, html: str) -> str:
    """The archive copy: the email without its reader-only parts, personal fields general."""
    page = _EMAIL_ONLY.sub("", html)
    for placeholder, value in web_values(config, edition_id).items():
        page = page.replace(placeholder, escape(value))
    return page


def strip_marks(html: str) -> str:
    return html.replace(EMAIL_ONLY_START, "").replace(EMAIL_ONLY_END, "")


def render_variant(
    config: Config,
    edition: Edition,
    variant: Variant,
    templates: Templates | None = None,
    *,
    parsed: Parsed | None = None,
) -> RenderedEmail:
    """Render one variant: HTML and text with personal placeholders, and a web version.

    The quality findings of the HTML are in ``warnings`` (errors marked as such); this
    never raises for them, so an editor can always look at the result. Template and
    MJML errors raise :class:`~varcomms.errors.InputError` naming the template and line.

    Pass ``templates`` and one ``parsed`` when rendering more than one variant: without
    them the project's templates are read and compiled for this call alone, and the
    checks read the markup the variants share again.
    """
    if templates is None:
        templates = Templates(config.templates_dir)
    return _render(config, edition, variant, templates, parsed).email


@dataclass(frozen=True, slots=True)
class _Rendered:
    email: RenderedEmail
    findings: tuple[Finding, ...]


def _render(
    config: Config,
    edition: Edition,
    variant: Variant,
    templates: Templates,
    parsed: Parsed | None = None,
) -> _Rendered:
    # Our own placeholders are unguessable while content is templated in; sealing then
    # defuses any that content brought along and makes ours the ones delivery fills.
    placeholders = fresh_placeholders()
    name, document, context = mjml_document(
        config, edition, variant, placeholders, templates=templates
    )
    marked = seal_html(email_html(templates, name, document, context), placeholders)
    html = strip_marks(marked)
    text = seal_text(text_part(templates, edition, context), placeholders)
    findings = (*check_html(html, config.render, parsed=parsed), *check_text(text))
    email = RenderedEmail(
        edition_id=edition.id,
        variant=variant.key,
        subject=defuse_text(edition.subject),
        preheader=defuse_text(edition.preheader),
        html=html,
        text=text,
        web_html=web_version(config, edition.id, marked),
        warnings=tuple(str(finding) for finding in findings),
    )
    return _Rendered(email, findings)


def _check_variant(edition: Edition, variant: Variant) -> None:
    known = {section.slug for section in edition.themed_sections}
    unknown = sorted(variant.sections - known)
    if unknown:
        raise InputError(
            f"edition {edition.id} has no themed section {unknown[0]!r}",
            hint=f"themed sections: {', '.join(sorted(known)) or 'none'}",
        )


def render_edition(
    config: Config,
    edition: Edition,
    out_dir: Path,
    variants: Sequence[Variant] | None = None,
    *,
    progress: Callable[[Variant], None] | None = None,
    templates: Templates | None = None,
) -> RenderOutput:
    """Render every variant (or the given ones) and write ``<key>.html``, ``<key>.txt``
    and ``<key>.web.html`` into ``out_dir``."""
    chosen: Iterable[Variant] = variants if variants is not None else variants_of(edition)
    if templates is None:
        templates = Templates(config.templates_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[RenderedVariant] = []
    # The variants share most of their markup: the checks read each attribute once.
    parsed = Parsed()
    for variant in chosen:
        rendered = _render(config, edition, variant, templates, parsed)
        stem = variant.key  # slugs joined by "+" (and "~"): safe in file names
        html_path = out_dir / f"{stem}.html"
        text_path = out_dir / f"{stem}.txt"
        web_path = out_dir / f"{stem}.web.html"
        html_path.write_text(rendered.email.html, encoding="utf-8")
        text_path.write_text(rendered.email.text, encoding="utf-8")
        web_path.write_text(rendered.email.web_html, encoding="utf-8")
        written.append(
            RenderedVariant(
                variant, rendered.email, rendered.findings, html_path, text_path, web_path
            )
        )
        if progress is not None:
            progress(variant)
    return RenderOutput(edition_id=edition.id, out_dir=out_dir, variants=tuple(written))
