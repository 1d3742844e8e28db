"""The quality checks of every variant an edition can produce, for review before sign-off.

``edition lint`` and ``edition approve`` ask this (through :mod:`varcomms.review`) so that
an email Gmail would clip, or a template that breaks, blocks sign-off like a content
error does. Each finding says which variants it was found in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from varcomms.config import Config
from varcomms.errors import InputError
from varcomms.findings import Finding
from varcomms.models import Edition
from varcomms.render.checks import Parsed, check_html, check_text
from varcomms.render.environment import PACKAGED_TEMPLATES, Templates
from varcomms.render.pipeline import email_html, mjml_document, strip_marks, text_part
from varcomms.render.placeholders import fresh_placeholders, seal_html, seal_text
from varcomms.render.variants import Variant, variant_for

# Render's rules in the edition lint's namespace: "render-contrast" next to "alt-missing".
RENDER_CODE_PREFIX = "render-"


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
) -> list[Finding]:
    """Render ``variants`` (default: :func:`representative_variants`) and gather the
    quality findings, errors first, as edition lint findings.

    A finding found in several variants is reported once: its code is
    ``render-<rule>``, ``variants`` names the variants and the message ends with them
    ("(every variant)" when it is all of them). A template or MJML error becomes an
    error finding that names the template and line instead of stopping the review.
    """
    chosen = representative_variants(edition) if variants is None else tuple(variants)
    # Fresh for each review: the templates as they are on disk now.
    templates = Templates(config.templates_dir)
    found: dict[Finding, list[str]] = {}
    parsed = Parsed()  # the variants share most of their markup: read each attribute once
    for variant in chosen:
        for finding in _findings(config, templates, edition, variant, parsed):
            found.setdefault(finding, []).append(variant.key)
    findings = [
        replace(
            finding,
            code=RENDER_CODE_PREFIX + finding.code,
            message=f"{finding.message} ({_variants_note(keys, len(chosen))})",
            variants=tuple(keys),
        )
        for finding, keys in found.items()
    ]
    return sorted(findings, key=lambda finding: finding.severity != "error")


def _variants_note(keys: Sequence[str], checked: int) -> str:
    if len(keys) == checked > 1:
        return "every variant"
    label = "variant" if len(keys) == 1 else "variants"
    return f"{label} {', '.join(keys)}"


def _findings(
    config: Config, templates: Templates, edition: Edition, variant: Variant, parsed: Parsed
) -> list[Finding]:
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
        return [Finding("error", "template", message, template, err.line)]
    return [*check_html(html, config.render, parsed=parsed), *check_text(text)]


def _template_name(config: Config, path: Path) -> str:
    """``partials/intro.mjml.j2``: the name a project override would have."""
    for folder in (config.templates_dir, PACKAGED_TEMPLATES):
        if path.is_relative_to(folder):
            return path.relative_to(folder).as_posix()
    return path.name
