"""Render: Jinja2 templates → MJML → responsive HTML, plain text and a web version.

The functions other stages call (see docs/architecture.md): :func:`variant_for`,
:func:`variants_of`, :func:`render_variant`, :func:`render_edition` and, for
``edition lint``, :func:`check_html`; a caller that renders several variants builds one
:class:`Templates` and passes it to each.
"""

from varcomms.findings import Finding
from varcomms.render.checks import Parsed, check_html
from varcomms.render.environment import Templates
from varcomms.render.pipeline import (
    RenderedVariant,
    RenderOutput,
    render_edition,
    render_variant,
)
from varcomms.render.variants import Variant, variant_for, variants_of

__all__ = [
    "Finding",
    "Parsed",
    "RenderOutput",
    "RenderedVariant",
    "Templates",
    "Variant",
    "check_html",
    "render_edition",
    "render_variant",
    "variant_for",
    "variants_of",
]
