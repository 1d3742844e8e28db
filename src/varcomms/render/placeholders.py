"""Personal placeholders that content can never forge.

Delivery fills every :data:`~varcomms.models.PERSONAL_FIELDS` placeholder it finds, and
the mail services fill their own tags (Mailgun ``%recipient.x%``, SendGrid's
``-varcomms-x-html-``, Brevo's ``{{ params.x }}``). Feed items and editors' HTML end up
in the same HTML and text, so a placeholder written in content (say inside an
``<img src>`` of a third party) would be filled with each reader's name and signed
links. To prevent that, a render works with placeholders made unguessable by a random
nonce; once the HTML and text exist, every placeholder-like sequence left in them came
from content and is defused, and only then do the template's own placeholders become
the canonical ones delivery knows. Defusing keeps the text readable: in HTML the first
character becomes a character reference (browsers show and follow the same thing), in
plain text a zero-width space splits the sequence.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping

from varcomms.models import FORGEABLE_PLACEHOLDER, PERSONAL_FIELDS

FORGEABLE = FORGEABLE_PLACEHOLDER
ZERO_WIDTH_SPACE = "\u200b"
_HTML_REFERENCE = {"%": "&#37;", "-": "&#45;", "{": "&#123;", "<": "&lt;"}


def fresh_placeholders() -> dict[str, str]:
    """Placeholders for one render, unguessable by anyone who writes content."""
    nonce = secrets.token_hex(12).upper()
    return {name: f"%%VARCOMMS_{nonce}_{name.upper()}%%" for name in PERSONAL_FIELDS}


def defuse_html(html: str) -> str:
    """Break every placeholder-like sequence in HTML, keeping what a reader sees."""
    return _until_clean(html, lambda m: _HTML_REFERENCE[m.group(0)[0]] + m.group(0)[1:])


def defuse_text(text: str) -> str:
    """Break every placeholder-like sequence in plain text (a zero-width space)."""
    return _until_clean(text, lambda m: m.group(0)[0] + ZERO_WIDTH_SPACE + m.group(0)[1:])


def _until_clean(text: str, replace: Callable[[re.Match[str]], str]) -> str:
    # One pass can leave a new sequence behind ("{{{" -> "{ {{"), so repeat; each pass
    # splits at least one sequence, so this ends.
    while FORGEABLE.search(text):
        text = FORGEABLE.sub(replace, text)
    return text


def seal_html(html: str, placeholders: Mapping[str, str]) -> str:
    """Defuse content's placeholders, then turn the render's own into canonical ones."""
    return _seal(html, placeholders, defuse_html)


def seal_text(text: str, placeholders: Mapping[str, str]) -> str:
    return _seal(text, placeholders, defuse_text)


def _seal(document: str, placeholders: Mapping[str, str], defuse: Callable[[str], str]) -> str:
    canonical = {token: PERSONAL_FIELDS[name] for name, token in placeholders.items()}
    if not canonical:
        return defuse(document)
    # The render's own tokens share their nonce, so they share a prefix: find that, then
    # which token stands there. (A regex of the tokens would be new for every render, and
    # compiling it took longer than the search itself.) No token is a prefix of another,
    # as each ends in "%%", so at most one matches at a place.
    prefix = next(iter(canonical))
    for other in canonical:
        while not other.startswith(prefix):
            prefix = prefix[:-1]
    out: list[str] = []
    position = 0
    start = document.find(prefix)
    while start != -1:
        found = next((t for t in canonical if document.startswith(t, start)), None)
        if found is None:
            start = document.find(prefix, start + 1)
            continue
        out.append(defuse(document[position:start]))
        out.append(canonical[found])
        position = start + len(found)
        start = document.find(prefix, position)
    out.append(defuse(document[position:]))
    return "".join(out)
