"""The quality checks of every variant an edition can produce, for review before sign-off.

``edition lint`` and ``edition approve`` ask this (through :mod:`varcomms.review`) so that
an email Gmail would clip, or a template that breaks, blocks sign-off like a content
error does. Each finding says which variants it was found in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.models import Edition
from varcomms.render.checks import Level, check_html, check_text
from varcomms.render.environment import PACKAGED_TEMPLATES, Templates
from varcomms.render.pipeline import email_html, mjml_document, strip_marks, text_part
from varcomms.render.placeholders import fresh_placeholders, seal_html, seal_text
from varcomms.render.variants import Variant, variant_for


@dataclass(frozen=True, slots=True)
class RenderFinding:
    """A quality finding (or a template error) and the variants it occurs in."""

    level: Level
    rule: str
    message: str
    variants: tuple[str, ...]
    # For a template or MJML error: the template file and line to fix.
    template: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "rule": self.rule,
            "message": self.message,
            "variants": list(self.variants),
            "template": self.template,
            "line": self.line,
        }


def representative_variants(edition: Edition) -> tuple[Variant, ...]:
    """The general variant, one per theme, and the one with every themed section.

    Together they render every section at least once, and the largest email (the one
    Gmail is likeliest to clip) is among them: a bounded set, where the full list of
    variants grows as 2^themes.
    """
    themes = sorted({section.theme for section in edition.themed_sections if section.theme})
    chosen = [variant_for(edition, ())]
    chosen += [variant_for(edition, {theme}) for theme in themes]
    chosen.append(variant_for(edition, themes))
    return tuple(dict.fromkeys(chosen))


def lint_rendered(
    config: Config, edition: Edition, variants: Sequence[Variant] | None = None
) -> list[RenderFinding]:
    """Render ``variants`` (default: :func:`representative_variants`) and gather the
    quality findings, errors first. A template or MJML error becomes an error finding
    that names the template and line instead of stopping the review."""
    chosen = representative_variants(edition) if variants is None else tuple(variants)
    # Fresh for each review: the templates as they are on disk now.
    templates = Templates(config.templates_dir)
    found: dict[tuple[Level, str, str, str | None, int | None], list[str]] = {}
    for variant in chosen:
        for key in _findings(config, templates, edition, variant):
            found.setdefault(key, []).append(variant.key)
    findings = [
        RenderFinding(level, rule, message, tuple(keys), template, line)
        for (level, rule, message, template, line), keys in found.items()
    ]
    return sorted(findings, key=lambda finding: finding.level != "error")


def _findings(
    config: Config, templates: Templates, edition: Edition, variant: Variant
) -> list[tuple[Level, str, str, str | None, int | None]]:
    # The steps of render_variant without the web version, which adds no check.
    try:
        # Sealed like render_variant, so a placeholder written in content can never
        # pass for the template's own unsubscribe or preferences link (F4).
        placeholders = fresh_placeholders()
        name, document, context = mjml_document(
            config, edition, variant, placeholders, templates=templates
        )
        html = strip_marks(seal_html(email_html(templates, name, document, context), placeholders))
        text = seal_text(text_part(templates, edition, context), placeholders)  # errors count too
    except InputError as err:
        template = _template_name(config, err.path) if err.path is not None else None
        message = err.message
        if err.path is not None:
            where = f"{err.path}:{err.line}: " if err.line is not None else f"{err.path}: "
            message = message.removeprefix(where)
        return [("error", "template", message, template, err.line)]
    return [
        (finding.level, finding.rule, finding.message, None, None)
        for finding in (*check_html(html, config.render), *check_text(text))
    ]


def _template_name(config: Config, path: Path) -> str:
    """``partials/intro.mjml.j2``: the name a project override would have."""
    for folder in (config.templates_dir, PACKAGED_TEMPLATES):
        if path.is_relative_to(folder):
            return path.relative_to(folder).as_posix()
    return path.name
