"""Render an edition: each variant to HTML, plain text and a web version, then check it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.models import Edition, RenderedEmail
from varcomms.render.checks import Finding, check_html
from varcomms.render.compile import compile_mjml, render_template
from varcomms.render.text import tidy
from varcomms.render.variants import Variant, variants_of
from varcomms.render.view import build_view


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
        return tuple(f for f in self.findings if f.level == "error")


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


def render_mjml(
    config: Config, edition: Edition, variant: Variant, *, web: bool = False
) -> tuple[str, str, dict]:
    """Step 1: the MJML document of a variant (template name, MJML, template context)."""
    context = build_view(config, edition, variant, web=web).context()
    name, document = render_template(
        config.templates_dir, template_names(edition, "email"), context
    )
    return name, document, context


def render_html(config: Config, edition: Edition, variant: Variant, *, web: bool = False) -> str:
    """Steps 1 and 2: the compiled HTML of a variant."""
    name, document, context = render_mjml(config, edition, variant, web=web)
    return compile_mjml(document, project_dir=config.templates_dir, template=name, context=context)


def render_text(config: Config, edition: Edition, variant: Variant) -> str:
    """The plain-text part of a variant, personal fields left as placeholders."""
    context = build_view(config, edition, variant, web=False).context()
    _, text = render_template(config.templates_dir, template_names(edition, "text"), context)
    return tidy(text)


def render_variant(config: Config, edition: Edition, variant: Variant) -> RenderedEmail:
    """Render one variant: HTML and text with personal placeholders, and a web version.

    The quality findings of the HTML are in ``warnings`` (errors marked as such); this
    never raises for them, so an editor can always look at the result.
    """
    email = _render(config, edition, variant)
    return email.email


@dataclass(frozen=True, slots=True)
class _Rendered:
    email: RenderedEmail
    findings: tuple[Finding, ...]


def _render(config: Config, edition: Edition, variant: Variant) -> _Rendered:
    _check_variant(edition, variant)
    view = build_view(config, edition, variant, web=False)
    context = view.context()
    project = config.templates_dir
    name, document = render_template(project, template_names(edition, "email"), context)
    html = compile_mjml(document, project_dir=project, template=name, context=context)
    _, text = render_template(project, template_names(edition, "text"), context)
    web_context = build_view(config, edition, variant, web=True).context()
    web_name, web_document = render_template(project, template_names(edition, "email"), web_context)
    web_html = compile_mjml(
        web_document, project_dir=project, template=web_name, context=web_context
    )
    findings = tuple(check_html(html, config.render))
    email = RenderedEmail(
        edition_id=edition.id,
        variant=variant.key,
        subject=edition.subject,
        preheader=edition.preheader,
        html=html,
        text=tidy(text),
        web_html=web_html,
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
) -> RenderOutput:
    """Render every variant (or the given ones) and write ``<key>.html``, ``<key>.txt``
    and ``<key>.web.html`` into ``out_dir``."""
    chosen: Iterable[Variant] = variants if variants is not None else variants_of(edition)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[RenderedVariant] = []
    for variant in chosen:
        rendered = _render(config, edition, variant)
        stem = _file_stem(variant.key)
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


def _file_stem(key: str) -> str:
    # Keys are slugs joined by "+" (and "~" for long ones): safe in file names.
    return key
