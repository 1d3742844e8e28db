"""Rendering a page, and the plain Dutch error pages every blueprint shares."""

from __future__ import annotations

from typing import Any

from flask import render_template

from .state import web


def page(template: str, status: int = 200, **values: Any) -> tuple[str, int]:
    ctx = web().ctx
    return render_template(template, config=ctx.config, **values), status


ERRORS = {
    "invalid": (
        "Deze link werkt niet",
        "De link is niet compleet of is veranderd. Gebruik de link uit de e-mail zoals "
        "hij is, of kopieer hem in zijn geheel naar de adresbalk.",
    ),
    "expired": (
        "Deze link is verlopen",
        "Een bevestigingslink werkt een beperkte tijd. Meld u opnieuw aan; u krijgt dan "
        "een nieuwe link.",
    ),
    "unknown": (
        "Wij hebben geen gegevens over u",
        "Bij deze link horen geen gegevens (meer). Misschien zijn ze op uw verzoek "
        "verwijderd. U ontvangt de nieuwsbrief niet.",
    ),
    "csrf": (
        "Het formulier is verlopen",
        "Uw formulier is te lang open geweest of kwam niet van deze website. Laad de "
        "pagina opnieuw en probeer het nog eens.",
    ),
    "rate": (
        "Te veel aanvragen",
        "Er zijn in korte tijd te veel aanvragen gedaan. Probeer het over een uur opnieuw.",
    ),
    "notfound": ("Pagina niet gevonden", "Deze pagina bestaat niet."),
    "server": (
        "Er ging iets mis",
        "Er ging aan onze kant iets mis. Probeer het later opnieuw.",
    ),
}


def error_page(kind: str, status: int) -> tuple[str, int]:
    title, text = ERRORS[kind]
    return page("error.html", status, title=title, text=text, kind=kind)
