"""Write the fictional sample audience (audiences/sample-subscribers.csv).

Everyone in it is made up: names are drawn from common Dutch first and last names, and
every address is on a subdomain of the reserved ``example.org`` (RFC 2606), so the
demo can never mail a real person. Deterministic: the same file on
every run. Run with `uv run python tools/make_sample_audience.py`.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "audiences" / "sample-subscribers.csv"
COUNT = 320

# Twenty-five municipalities of the Rotterdam police region.
MUNICIPALITIES = [
    "Albrandswaard", "Alblasserdam", "Barendrecht", "Capelle aan den IJssel", "Dordrecht",
    "Goeree-Overflakkee", "Gorinchem", "Hendrik-Ido-Ambacht", "Hoeksche Waard",
    "Krimpen aan den IJssel", "Krimpenerwaard", "Lansingerland", "Maassluis", "Molenlanden",
    "Nissewaard", "Papendrecht", "Ridderkerk", "Rotterdam", "Schiedam", "Sliedrecht",
    "Vlaardingen", "Hellevoetsluis", "Zwijndrecht", "Westvoorne", "Brielle",
]  # fmt: skip
THEMES = [
    "cybercriminaliteit", "ondermijning", "mensenhandel", "verward-gedrag",
    "jeugd-en-veiligheid", "jeugd-alcohol-drugs", "veilig-wonen", "radicalisering",
    "huiselijk-geweld", "veilig-ondernemen", "privacy", "monitoring", "kennisbijeenkomsten",
]  # fmt: skip
FIRST = [
    "Anouk", "Bram", "Daan", "Eva", "Fatima", "Gijs", "Hanna", "Iris", "Jeroen", "Karim",
    "Lotte", "Mohamed", "Noor", "Olaf", "Priya", "Ruben", "Sanne", "Tim", "Yara", "Zeynep",
    "Marieke", "Joost", "Esther", "Ahmed", "Kim", "Willem", "Femke", "Sem", "Lieke", "Niels",
]  # fmt: skip
LAST = [
    "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
    "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Yilmaz", "El Amrani", "Kaya", "van Leeuwen", "Verhoeven", "Koster",
]  # fmt: skip
ORGS = [  # (org_type, organisation, domain, weight)
    ("gemeente", "Gemeente {m}", "{slug}.example.org", 60),
    ("politie", "Politie eenheid Rotterdam", "politie.example.org", 12),
    ("om", "Openbaar Ministerie Rotterdam", "om.example.org", 6),
    ("riec", "RIEC Rotterdam", "riec.example.org", 6),
    ("zorg-veiligheidshuis", "Zorg- en Veiligheidshuis {m}", "zvh-{slug}.example.org", 8),
    ("ondernemer", "Ondernemersvereniging {m}", "ondernemers-{slug}.example.org", 4),
    ("other", "Woningcorporatie {m}", "wonen-{slug}.example.org", 4),
]
HEADER = [
    "email", "name", "first_name", "organisation", "org_type", "municipality", "themes",
    "language", "status", "consent_source", "consent_at", "confirmed_at",
]  # fmt: skip


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in plain.lower()).strip("-").replace("--", "-")


def main() -> None:
    rng = random.Random(2022)  # noqa: S311 - fixture data, not security
    start = datetime(2019, 3, 1, 9, 0, tzinfo=UTC)
    rows, seen = [], set()
    while len(rows) < COUNT:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        municipality = rng.choice(MUNICIPALITIES)
        org_type, org, domain, _ = rng.choices(ORGS, weights=[o[3] for o in ORGS])[0]
        slug = ascii_slug(municipality)
        email = (
            f"{ascii_slug(first)}.{ascii_slug(last).replace('-', '')}@{domain.format(slug=slug)}"
        )
        if email in seen:
            continue
        seen.add(email)
        themes = rng.sample(THEMES, k=rng.choice([1, 2, 2, 3, 3, 4]))
        if org_type == "riec":
            themes = sorted(set(themes) | {"ondermijning"})
        consent = start + timedelta(days=rng.randrange(0, 1000), minutes=rng.randrange(0, 600))
        status = rng.choices(["subscribed", "unsubscribed", "pending"], weights=[92, 5, 3])[0]
        rows.append(
            {
                "email": email,
                "name": f"{first} {last}",
                "first_name": first,
                "organisation": org.format(m=municipality),
                "org_type": org_type,
                "municipality": municipality,
                "themes": "|".join(themes),
                "language": "nl",
                "status": status,
                "consent_source": rng.choice(
                    ["aanmeldformulier website", "Leerhuis", "import 2021"]
                ),
                "consent_at": consent.isoformat(),
                "confirmed_at": (consent + timedelta(minutes=7)).isoformat()
                if status != "pending"
                else "",
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} fictional subscribers to {OUT}")


if __name__ == "__main__":
    main()
