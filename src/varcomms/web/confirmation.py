"""The double opt-in mail: plain Dutch text with the signed, expiring confirmation link.

Plain text only; the HTML part is made from it with everything escaped, so a name like
``<b>Jan</b>`` arrives as written and never as markup.
"""

from __future__ import annotations

import html
from datetime import datetime, tzinfo

from varcomms.delivery.transactional import TransactionalMail
from varcomms.render.dates import long_date

KIND = "bevestiging"
SUBJECT = "Bevestig uw aanmelding voor de nieuwsbrief"


def confirmation_mail(
    *, to: str, name: str | None, link: str, expires_at: datetime, tz: tzinfo, brand_names: str
) -> TransactionalMail:
    greeting = name.strip() if name and name.strip() else "lezer"
    expiry = expires_at.astimezone(tz)
    text = (
        f"Beste {greeting},\n\n"
        f"Dit e-mailadres is aangemeld voor de nieuwsbrief van de {brand_names}. "
        "Wilt u de nieuwsbrief ontvangen? Bevestig dan uw aanmelding met deze link:\n\n"
        f"{link}\n\n"
        f"De link werkt tot {long_date(expiry, tz)} om {expiry:%H:%M} uur.\n\n"
        "Heeft u zich niet aangemeld? Dan hoeft u niets te doen. Zonder bevestiging "
        "ontvangt u niets en verwijderen wij de aanvraag.\n\n"
        f"Met vriendelijke groet,\nde redactie van de {brand_names}"
    )
    # The HTML part: every paragraph escaped, the link made clickable.
    paragraphs = []
    for paragraph in text.split("\n\n"):
        escaped = html.escape(paragraph).replace("\n", "<br>\n")
        if paragraph == link:
            escaped = f'<a href="{html.escape(link)}">Bevestig mijn aanmelding</a>'
        paragraphs.append(f"<p>{escaped}</p>")
    body = "\n".join(paragraphs)
    page = f'<!doctype html>\n<html lang="nl"><body>\n{body}\n</body></html>\n'
    return TransactionalMail(
        to=to, to_name=name or None, subject=SUBJECT, text=text, html=page, kind=KIND
    )
