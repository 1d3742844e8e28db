"""Jinja2 → MJML → HTML for one template, with errors that name the template and line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2
from mjml import mjml2html

from varcomms.errors import InputError
from varcomms.findings import Finding
from varcomms.render.environment import Templates, select, template_errors
from varcomms.render.mjml_check import check_mjml


def render_template(
    templates: Templates, names: list[str], context: Mapping[str, Any]
) -> tuple[str, str]:
    """Render the first existing template of ``names``; returns (template name, output)."""
    env = templates.environment
    template = select(env, names)
    with template_errors(env):
        return template.name or names[0], template.render(context)


def compile_mjml(
    document: str, *, templates: Templates, template: str, context: Mapping[str, Any]
) -> str:
    """Check and compile an MJML document rendered from ``template``.

    On a problem the document is rendered once more with source marks, so the error
    can name the template file and line that wrote the offending tag.
    """
    problems = check_mjml(document)
    if not problems:
        try:
            return mjml2html(document, fonts={})
        except (ValueError, RuntimeError) as err:
            raise InputError(
                f"invalid MJML: {err}",
                path=templates.path(template),
                hint="mjml-python gives no position; check the tags opened and closed in "
                "the template and its partials",
            ) from err
    raise _located(problems[0], templates, template, context)


def _located(
    problem: Finding, templates: Templates, template: str, context: Mapping[str, Any]
) -> InputError:
    env = templates.marked
    marked: Finding | None = None
    try:
        with template_errors(env):
            document = env.get_template(template).render(context)
        # The same document with marks: its first problem is the same one, now located.
        found = check_mjml(document)
        marked = found[0] if found else None
    except (InputError, jinja2.TemplateError):
        marked = None
    if marked is not None and marked.file is not None:
        return InputError(
            f"invalid MJML: {marked.message}",
            path=templates.path(marked.file),
            line=marked.line,
            hint=marked.hint,
        )
    return InputError(
        f"invalid MJML (line {problem.line} of the generated document): {problem.message}",
        path=templates.path(template),
        hint=problem.hint,
    )
