"""send_edition() glue, against stand-ins for the editions, render and audience stages.

Those stages live on other branches; these stand-ins follow the contract in
docs/architecture.md exactly (names and signatures), so this test checks the glue:
approval, grouping by variant, rendering each variant once, test sends, status moves.
"""

from __future__ import annotations

import types
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.delivery.conftest import make_variant, parse, with_settings
from varcomms.context import Context
from varcomms.delivery import plan_send, send_edition
from varcomms.delivery.providers import memory
from varcomms.errors import StateError
from varcomms.models import Edition, EditionSection, EditionStatus, Subscriber, SubscriberStatus


@dataclass(frozen=True)
class Variant:
    key: str


@pytest.fixture
def stages(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    state: dict[str, Any] = {"status": EditionStatus.APPROVED, "moves": [], "rendered": Counter()}
    subscribers = [
        Subscriber(
            email=f"lid{n}@gemeente.nl",
            first_name=f"Lid{n}",
            id=n,
            themes=frozenset({"cybercriminaliteit"}) if n % 3 == 0 else frozenset(),
            status=SubscriberStatus.SUBSCRIBED,
        )
        for n in range(30)
    ]

    def load_edition(config: Any, edition_id: str) -> Edition:
        return Edition(
            id=edition_id,
            number=2,
            title="Februari",
            subject="Nieuwsbrief februari",
            preheader="Samen veilig",
            status=state["status"],
            sections=(EditionSection(slug="cyber", title="Cyber", theme="cybercriminaliteit"),),
        )

    def set_status(ctx: Context, edition_id: str, status: EditionStatus) -> None:
        state["moves"].append(status)

    def variant_for(edition: Edition, themes: frozenset[str]) -> Variant:
        return Variant(
            "algemeen+cybercriminaliteit" if "cybercriminaliteit" in themes else "algemeen"
        )

    def render_variant(config: Any, edition: Edition, variant: Variant) -> Any:
        state["rendered"][variant.key] += 1
        return make_variant(variant.key, paragraphs=2)

    def load_segment(config: Any, name: str) -> str:
        return name

    def iter_recipients(store: Any, segment: Any = None) -> Iterator[Subscriber]:
        state["segment"] = segment
        yield from subscribers

    for name, functions in {
        "varcomms.editions": {"load_edition": load_edition, "set_status": set_status},
        "varcomms.render": {"variant_for": variant_for, "render_variant": render_variant},
        "varcomms.audience": {"load_segment": load_segment, "iter_recipients": iter_recipients},
    }.items():
        module = types.ModuleType(name)
        module.__dict__.update(functions)
        monkeypatch.setitem(__import__("sys").modules, name, module)
    with_settings(ctx, provider__name="memory")
    memory.mailbox.clear()
    return state


def test_an_approved_edition_goes_to_everyone_once(ctx: Context, stages: dict[str, Any]) -> None:
    summary = plan_send(ctx, "2022-02")
    assert summary.per_variant == Counter({"algemeen": 20, "algemeen+cybercriminaliteit": 10})
    report = send_edition(ctx, "2022-02", segment="gemeenten")
    assert report.sent == 30 and report.status == "finished"
    assert stages["segment"] == "gemeenten"
    assert stages["rendered"] == Counter({"algemeen": 1, "algemeen+cybercriminaliteit": 1})
    assert stages["moves"] == [EditionStatus.SENDING, EditionStatus.SENT]
    assert Counter(m.email for m in memory.mailbox) == Counter(
        f"lid{n}@gemeente.nl" for n in range(30)
    )
    assert {m.variant for m in memory.mailbox if m.email == "lid3@gemeente.nl"} == {
        "algemeen+cybercriminaliteit"
    }


def test_only_approved_editions_go_out_but_tests_may(ctx: Context, stages: dict[str, Any]) -> None:
    stages["status"] = EditionStatus.REVIEW
    with pytest.raises(StateError, match="not approved"):
        send_edition(ctx, "2022-02")
    with pytest.raises(StateError, match="not approved"):
        plan_send(ctx, "2022-02")
    report = send_edition(ctx, "2022-02", test_to=("redactie@veiligheidsalliantie.nl",))
    assert report.is_test and report.sent == 1
    message = parse(memory.mailbox[-1].raw)
    assert str(message["Subject"]) == "[TEST] Nieuwsbrief VAR & RIEC — februari 2022"
    assert stages["rendered"] == Counter({"algemeen+cybercriminaliteit": 1})  # the whole edition
    assert stages["moves"] == []
