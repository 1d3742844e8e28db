"""Rewriting a few keys of edition.yaml keeps everything an editor wrote around them."""

from __future__ import annotations

from pathlib import Path

import yaml

from varcomms.editions.yamlio import replace_top_level_keys

TEXT = """\
# Comment at the top
id: 2022-03
signoffs:
  - role: var
    by: Astrid
    files:
      edition.yaml: abc

# About the number
number: 3   # trailing comment
status: review
title: "Nieuwsbrief: maart"
"""


def test_keys_are_replaced_in_place_and_the_rest_kept() -> None:
    new = replace_top_level_keys(TEXT, {"status": "approved", "signoffs": []}, Path("e.yaml"))
    assert new.startswith("# Comment at the top\nid: 2022-03\n")
    assert "number: 3   # trailing comment\n" in new
    assert 'title: "Nieuwsbrief: maart"\n' in new
    assert "by: Astrid" not in new
    assert "# About the number\n" in new
    data = yaml.safe_load(new)
    assert data == {
        "id": "2022-03",
        "status": "approved",
        "signoffs": [],
        "number": 3,
        "title": "Nieuwsbrief: maart",
    }
    # The new keys sit where the first old one was.
    assert new.index("signoffs: []") < new.index("number: 3")


def test_missing_keys_are_appended_and_block_lists_written() -> None:
    signoffs = [{"role": "riec", "by": "Anouk", "files": {"riec.md": "0f"}}]
    new = replace_top_level_keys("id: x\nnumber: 1", {"signoffs": signoffs}, Path("e.yaml"))
    assert new.startswith("id: x\nnumber: 1\n")
    assert yaml.safe_load(new)["signoffs"] == signoffs
    assert "- role: riec\n  by: Anouk\n  files:\n    riec.md: 0f\n" in new
