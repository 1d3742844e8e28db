"""Our own check of the MJML we generate, because mjml-python never warns.

mjml-python copies an unknown tag (``<mj-foo>``) or a bad attribute value into the
HTML without a word, and its parse errors carry no position. This module walks the
MJML tags (not the HTML inside ending tags such as ``mj-text``) and reports what the
templates could get wrong, with the line in the MJML document and — when the document
was rendered with source marks — the template and line that wrote the tag.
"""

from __future__ import annotations

import re

from varcomms.findings import Finding

# The MJML 4 tags (core components, head components and the standard extras).
KNOWN_TAGS = frozenset(
    {
        "mjml", "mj-head", "mj-body", "mj-attributes", "mj-all", "mj-class", "mj-breakpoint",
        "mj-font", "mj-html-attributes", "mj-html-attribute", "mj-selector", "mj-preview",
        "mj-style", "mj-title", "mj-include", "mj-raw", "mj-wrapper", "mj-section",
        "mj-group", "mj-column", "mj-hero", "mj-text", "mj-image", "mj-button", "mj-divider",
        "mj-spacer", "mj-table", "mj-social", "mj-social-element", "mj-navbar",
        "mj-navbar-link", "mj-accordion", "mj-accordion-element", "mj-accordion-title",
        "mj-accordion-text", "mj-carousel", "mj-carousel-image",
    }
)  # fmt: skip

# Tags whose content is HTML or text, passed through as is.
ENDING_TAGS = frozenset(
    {
        "mj-text", "mj-button", "mj-raw", "mj-style", "mj-title", "mj-preview", "mj-table",
        "mj-navbar-link", "mj-accordion-title", "mj-accordion-text", "mj-social-element",
    }
)  # fmt: skip

# Where the layout tags may sit: mjml-python renders misplaced ones without complaint.
PARENTS = {
    "mj-head": {"mjml"},
    "mj-body": {"mjml"},
    "mj-wrapper": {"mj-body"},
    "mj-section": {"mj-body", "mj-wrapper", "mj-attributes"},
    "mj-hero": {"mj-body", "mj-wrapper"},
    "mj-group": {"mj-section", "mj-attributes"},
    "mj-column": {"mj-section", "mj-group", "mj-attributes"},
    "mj-text": {"mj-column", "mj-hero", "mj-attributes"},
    "mj-image": {"mj-column", "mj-hero", "mj-attributes"},
    "mj-button": {"mj-column", "mj-hero", "mj-attributes"},
    "mj-divider": {"mj-column", "mj-hero", "mj-attributes"},
    "mj-spacer": {"mj-column", "mj-hero", "mj-attributes"},
    "mj-table": {"mj-column", "mj-hero", "mj-attributes"},
}

# Attributes mjml-python 1.4 leaves out of the HTML without a word (Node mjml keeps
# them). A screen reader never hears a title or aria-label written on mj-button, so a
# link's name must be its text; tests/render/test_mjml.py checks this list against
# mjml-python itself.
DROPPED_ATTRIBUTES = {
    "mj-button": ("title", "aria-label"),
    "mj-image": ("aria-label", "sizes"),
}
_DROPPED = {
    tag: re.compile(r"(?:^|\s)(" + "|".join(names) + r")\s*=")
    for tag, names in DROPPED_ATTRIBUTES.items()
}

# Attribute values cannot hold a raw ">": the templates escape every value they insert.
_TOKEN = re.compile(
    r"<!--(?:@(?P<mark>[^>]*?)|.*?)-->"
    r"|<(?P<close>/)?(?P<tag>mjml|mj-[a-z-]+)(?P<attrs>[^>]*)>",
    re.DOTALL,
)
_ATTR = re.compile(r"([^\s=/>]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'))?")


# The code of every finding of this check: each is an error (the document is not compiled).
CODE = "mjml"


def check_mjml(document: str) -> list[Finding]:
    """Problems in an MJML document, as error findings; an empty list when it is fit to
    compile.

    A finding of a tag the document marks with its source (``<!--@template:line-->``)
    names that template and line as its ``file`` and ``line``; without a mark, ``file``
    is None and ``line`` is the line in the MJML document.
    """
    found: list[tuple[int, str, str | None, str | None]] = []  # offset, message, mark, hint
    stack: list[tuple[str, int, str | None]] = []  # tag, offset, source mark
    mark: str | None = None
    skip_until: str | None = None  # inside an ending tag, only its own close counts

    for match in _TOKEN.finditer(document):
        new_mark, close, tag, attrs = match.groups()
        if new_mark is not None:
            mark = new_mark
            continue
        if tag is None:
            continue  # an ordinary comment
        if skip_until is not None:
            if close and tag == skip_until:
                skip_until = None
            else:
                continue
        source, mark = mark, None
        offset = match.start()
        if close:
            if not stack:
                found.append((offset, f"</{tag}> closes nothing", source, None))
                continue
            open_tag, _, open_source = stack[-1]
            if open_tag != tag:
                where = f" ({open_source})" if open_source else ""
                found.append(
                    (offset, f"</{tag}> found where <{open_tag}>{where} should close", source, None)
                )
                if any(t == tag for t, _, _ in stack):
                    while stack and stack[-1][0] != tag:
                        stack.pop()
                    stack.pop()
                continue
            stack.pop()
            continue
        parent = stack[-1][0] if stack else None
        for message, hint in _check_tag(tag, parent, attrs):
            found.append((offset, message, source, hint))
        if not attrs.endswith("/"):
            stack.append((tag, offset, source))
            if tag in ENDING_TAGS:
                skip_until = tag
    for tag, offset, source in reversed(stack):
        found.append((offset, f"<{tag}> is never closed", source, None))
    return [
        _finding(document, offset, message, source, hint) for offset, message, source, hint in found
    ]


def _finding(
    document: str, offset: int, message: str, source: str | None, hint: str | None
) -> Finding:
    if source is None:
        return Finding("error", CODE, message, None, document.count("\n", 0, offset) + 1, hint=hint)
    template, _, line = source.rpartition(":")
    return Finding("error", CODE, message, template, int(line), hint=hint)


def _check_tag(tag: str, parent: str | None, attrs: str) -> list[tuple[str, str | None]]:
    """(message, hint) for each problem of one opening tag."""
    problems: list[tuple[str, str | None]] = []
    if tag not in KNOWN_TAGS:
        hint = "mjml-python copies unknown tags into the HTML silently; check the spelling"
        return [(f"unknown MJML tag <{tag}>", hint)]
    allowed = PARENTS.get(tag)
    if allowed is not None and parent not in allowed:
        problems.append((f"<{tag}> cannot be inside <{parent or 'nothing'}>", None))
    if tag == "mj-social":
        problems.append(
            (
                "<mj-social> is not allowed",
                "mjml-python renders its icons without alt text; use mj-image or text links",
            )
        )
    elif tag == "mjml" and not re.search(r"\blang\s*=\s*[\"']\w", attrs):
        problems.append(
            (
                '<mjml> has no lang attribute (the HTML would say lang="und")',
                'write <mjml lang="nl">',
            )
        )
    dropped = _DROPPED.get(tag)
    if dropped is not None:
        for match in dropped.finditer(attrs):
            problems.append(
                (
                    f"<{tag} {match.group(1)}=…>: mjml-python drops this attribute",
                    "say where the link goes in its text (or write the link by hand in "
                    "mj-text with aria-label)"
                    if tag == "mj-button"
                    else "mjml-python leaves it out of the HTML; use alt for the description",
                )
            )
    if "padding" not in attrs and "inline" not in attrs:
        return problems
    for match in _ATTR.finditer(attrs):
        name = match.group(1)
        value = match.group(2) if match.group(2) is not None else (match.group(3) or "")
        if "padding" in name and " " in value.strip() and "0" in value.split():
            problems.append(
                (
                    f'{name}="{value}" has a unitless 0 in a shorthand',
                    "write 0px: mjml-python otherwise computes Outlook widths without the padding",
                )
            )
        elif tag == "mj-style" and name == "inline":
            problems.append(
                (
                    '<mj-style inline="inline"> is not inlined by mjml-python',
                    "put the styles on the elements (attributes, mj-class) instead",
                )
            )
    return problems
