"""Source kinds declare themselves in their own module; the configuration knows no names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sources.conftest import source, with_sources
from varcomms import config as config_module
from varcomms import sources
from varcomms.context import Context
from varcomms.errors import ConfigError
from varcomms.sources.base import REGISTRY


def test_every_kind_is_registered_by_its_own_module() -> None:
    assert {name: kind.factory.__module__ for name, kind in REGISTRY.items()} == {
        "rss": "varcomms.sources.rss",
        "event-rss": "varcomms.sources.event_rss",
        "ical": "varcomms.sources.ical",
        "campaign": "varcomms.sources.campaign",
        "manual": "varcomms.sources.manual",
    }
    assert REGISTRY["manual"].location == "folder"
    assert not hasattr(config_module, "SOURCE_KINDS")


def test_an_unknown_kind_names_the_file_and_the_source(context: Context) -> None:
    with_sources(context, source("fout", kind="atom-feed", url="https://example.nl/feed"))
    with pytest.raises(ConfigError) as caught:
        sources.collect(context)
    assert caught.value.message == (
        f"{context.config.source_file}: sources['fout'].kind: unknown source kind 'atom-feed'"
    )
    assert caught.value.hint == "known kinds: campaign, event-rss, ical, manual, rss"


def test_a_kind_says_what_it_needs(context: Context, tmp_path: Path) -> None:
    with_sources(context, source("redactie", kind="manual", url="https://example.nl/"))
    with pytest.raises(ConfigError, match="a manual source needs 'path'"):
        sources.collect(context)


def test_collect_on_the_command_line_names_the_unknown_kind(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # `config check` stays light (it loads no source plug-ins); collect checks the kinds
    # before it fetches anything.
    root = Path(__file__).resolve().parents[2]
    text = (root / "varcomms.toml").read_text(encoding="utf-8")
    broken = text.replace('kind = "ical"', 'kind = "icalendar"', 1)
    assert broken != text
    (tmp_path / "varcomms.toml").write_text(broken, encoding="utf-8")
    for name in ("samples", "templates", "assets"):
        if (root / name).exists():
            (tmp_path / name).symlink_to(root / name)
    result = cli("--config", str(tmp_path / "varcomms.toml"), "collect")
    assert result.code != 0
    assert "unknown source kind 'icalendar'" in result.stderr
