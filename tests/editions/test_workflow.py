"""The status machine, sign-offs bound to content, and the read-only sent edition."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import pytest

from tests.editions.conftest import replace_in
from varcomms.context import Context
from varcomms.editions import Finding, approve, load_edition, reopen, set_status, transition
from varcomms.editions.workflow import TRANSITIONS
from varcomms.errors import StateError
from varcomms.models import EditionStatus

S = EditionStatus


def force_status(sample: Path, status: EditionStatus) -> None:
    replace_in(sample / "edition.yaml", "status: draft", f"status: {status.value}")


def approve_both(ctx: Context) -> None:
    approve(ctx, "2022-01", "riec", "Anouk (RIEC)")
    approve(ctx, "2022-01", "var", "Astrid de Jong")


def test_the_whole_road_to_sent(ctx: Context, sample: Path) -> None:
    first = approve(ctx, "2022-01", "riec", "Anouk (RIEC)")
    assert first.edition.status is S.REVIEW and not first.approved
    assert first.waiting_for == ["var"]
    second = approve(ctx, "2022-01", "var", "Astrid de Jong")
    assert second.approved and second.edition.status is S.APPROVED
    assert {s.role for s in second.edition.signoffs} == {"var", "riec"}
    for status in (S.SCHEDULED, S.SENDING, S.SENT):
        assert set_status(ctx, "2022-01", status).status is status
    assert load_edition(ctx.config, "2022-01").status is S.SENT


def test_an_approved_edition_can_be_sent_without_scheduling(ctx: Context, sample: Path) -> None:
    approve_both(ctx)
    assert set_status(ctx, "2022-01", S.SENDING).status is S.SENDING
    assert set_status(ctx, "2022-01", S.SENT).status is S.SENT


def test_sign_offs_are_recorded_and_comments_survive(ctx: Context, sample: Path) -> None:
    approve_both(ctx)
    text = (sample / "edition.yaml").read_text()
    assert "# The general sections, in reading order" in text
    assert "sections: [nieuws, kennis, thema-verward-gedrag]" in text
    assert "by: Anouk (RIEC)" in text and "riec.md:" in text
    assert text.count("content_hash:") == 2


ILLEGAL = [
    (current, target)
    for current, target in product(S, S)
    if current is not target and target not in TRANSITIONS[current]
]


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=lambda s: s.value)
def test_every_illegal_move_is_refused(
    ctx: Context, sample: Path, current: EditionStatus, target: EditionStatus
) -> None:
    force_status(sample, current)
    before = (sample / "edition.yaml").read_text()
    with pytest.raises(StateError) as caught:
        set_status(ctx, "2022-01", target)
    assert current.value in caught.value.message and target.value in caught.value.message
    assert caught.value.hint
    assert (sample / "edition.yaml").read_text() == before


def test_an_unapproved_edition_cannot_become_approved(ctx: Context, sample: Path) -> None:
    set_status(ctx, "2022-01", S.REVIEW)
    with pytest.raises(StateError, match="without the VAR and RIEC sign-off"):
        set_status(ctx, "2022-01", S.APPROVED)
    approve(ctx, "2022-01", "var", "Astrid de Jong")  # VAR alone is not enough
    edition = load_edition(ctx.config, "2022-01")
    assert edition.status is S.REVIEW
    with pytest.raises(StateError, match="without the RIEC sign-off"):
        set_status(ctx, "2022-01", S.APPROVED)


def test_hand_edited_approved_status_cannot_be_scheduled(ctx: Context, sample: Path) -> None:
    force_status(sample, S.APPROVED)
    with pytest.raises(StateError, match="sign-off"):
        set_status(ctx, "2022-01", S.SCHEDULED)


def test_a_var_only_edition_needs_only_the_var(ctx: Context, sample: Path) -> None:
    replace_in(sample / "edition.yaml", "brands: [var, riec]", "brands: [var]")
    with pytest.raises(StateError, match="does not carry the RIEC brand"):
        approve(ctx, "2022-01", "riec", "Anouk")
    assert approve(ctx, "2022-01", "var", "Astrid").approved


def test_editing_a_var_file_voids_only_the_var_sign_off(ctx: Context, sample: Path) -> None:
    approve_both(ctx)
    replace_in(sample / "nieuws.md", "HackShield groeit", "HackShield groeit verder")
    result = transition(ctx, "2022-01", S.REVIEW)  # approved → review is not a move...
    assert result.previous is S.APPROVED
    assert [v.role for v in result.voided] == ["var"]
    assert result.voided[0].changed == ("nieuws.md",)
    assert "VAR sign-off by Astrid de Jong is void: nieuws.md changed" in (
        result.voided[0].describe()
    )
    edition = result.edition
    assert edition.status is S.REVIEW  # ...it went back to review because of the edit
    assert [s.role for s in edition.signoffs] == ["riec"]
    again = approve(ctx, "2022-01", "var", "Astrid de Jong")
    assert again.approved and again.voided == []


def test_editing_riec_md_voids_both(ctx: Context, sample: Path) -> None:
    approve_both(ctx)
    replace_in(sample / "riec.md", "Weerbaar bestuur", "Weerbaar lokaal bestuur")
    with pytest.raises(StateError) as caught:
        set_status(ctx, "2022-01", S.SCHEDULED)
    message = caught.value.message
    assert "VAR sign-off" in message and "RIEC sign-off" in message and "riec.md" in message
    edition = load_edition(ctx.config, "2022-01")
    assert edition.status is S.REVIEW and edition.signoffs == ()


def test_workflow_fields_do_not_void_and_yaml_content_does(ctx: Context, sample: Path) -> None:
    approve(ctx, "2022-01", "var", "Astrid de Jong")
    replace_in(sample / "edition.yaml", "kind: regular", "kind: regular  # a comment only")
    assert approve(ctx, "2022-01", "riec", "Anouk").approved  # VAR's still valid
    replace_in(sample / "edition.yaml", "Cyberweerbaarheid,", "Digitale weerbaarheid,")
    result = reopen(ctx, "2022-01")
    assert [(v.role, v.changed) for v in result.voided] == [("var", ("edition.yaml",))]
    assert result.previous is S.APPROVED and result.edition.status is S.DRAFT
    assert [s.role for s in result.edition.signoffs] == ["riec"]


def test_lint_errors_block_sign_off(ctx: Context, sample: Path) -> None:
    replace_in(sample / "nieuws.md", "alt: Kinderen", "# alt: Kinderen")
    with pytest.raises(StateError, match=r"lint error.*nieuws\.md:\d+: .*no alt text"):
        approve(ctx, "2022-01", "riec", "Anouk")
    assert load_edition(ctx.config, "2022-01").signoffs == ()


def test_a_sent_edition_is_read_only(ctx: Context, sample: Path) -> None:
    force_status(sample, S.SENT)
    for attempt in (
        lambda: approve(ctx, "2022-01", "var", "Astrid"),
        lambda: reopen(ctx, "2022-01"),
        lambda: set_status(ctx, "2022-01", S.CANCELLED),
    ):
        with pytest.raises(StateError, match="read-only"):
            attempt()


def test_reopen_and_cancel(ctx: Context, sample: Path) -> None:
    with pytest.raises(StateError, match="already a draft"):
        reopen(ctx, "2022-01")
    approve_both(ctx)
    assert set_status(ctx, "2022-01", S.SCHEDULED).status is S.SCHEDULED
    result = reopen(ctx, "2022-01")
    assert (result.previous, result.edition.status) == (S.SCHEDULED, S.DRAFT)
    # Nothing changed, so both sign-offs still hold; the editors re-approve explicitly.
    assert len(result.edition.signoffs) == 2
    assert set_status(ctx, "2022-01", S.CANCELLED).status is S.CANCELLED
    assert reopen(ctx, "2022-01").edition.status is S.DRAFT


def test_scheduling_needs_a_future_planned_time(ctx: Context, sample: Path) -> None:
    approve_both(ctx)
    ctx.clock.advance(days=30)  # type: ignore[attr-defined]
    with pytest.raises(StateError, match="has passed"):
        set_status(ctx, "2022-01", S.SCHEDULED)


def test_approving_twice_or_after_approval(ctx: Context, sample: Path) -> None:
    approve_both(ctx)
    with pytest.raises(StateError, match="is approved; nothing to sign"):
        approve(ctx, "2022-01", "var", "Astrid de Jong")


def test_load_edition_leaves_out_void_sign_offs(ctx: Context, sample: Path) -> None:
    approve_both(ctx)
    replace_in(sample / "kennis.md", "60 professionals", "zestig professionals")
    edition = load_edition(ctx.config, "2022-01")
    assert [s.role for s in edition.signoffs] == ["riec"]
    # Reading changes nothing on disk; the next workflow command records the void.
    assert (sample / "edition.yaml").read_text().count("content_hash:") == 2


def test_extra_checks_also_block_sign_off(ctx: Context, sample: Path) -> None:
    def html_too_big(doc, config):  # type: ignore[no-untyped-def]
        yield Finding("error", "html-size", "the rendered email is 120 kB", "nieuws.md")

    with pytest.raises(StateError, match="120 kB"):
        approve(ctx, "2022-01", "var", "Astrid", checks=[html_too_big])
    assert approve(ctx, "2022-01", "var", "Astrid").signoff.by == "Astrid"
