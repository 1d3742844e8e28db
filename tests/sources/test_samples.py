"""The bundled samples (samples/, used by the demo) collect as the demo expects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import ROOT
from varcomms import pool, sources
from varcomms.context import Context
from varcomms.models import ItemKind
from varcomms.sources import SourceStatus


@pytest.fixture
def with_samples(context: Context) -> Context:
    if not (ROOT / "samples" / "feeds").is_dir():
        pytest.skip("samples/ is not in this checkout")
    return context


def test_bundled_samples(with_samples: Context) -> None:
    report = sources.collect(with_samples)
    assert report.ok, [line for line in report.sources if line.status is not SourceStatus.OK]
    store = with_samples.store
    riec = pool.list_items(store, source="riec-nieuws")
    assert riec and all(item.published is not None for item in riec)
    by_title = {item.title: item for item in riec}
    relative = by_title.get("Nieuwe handreiking voor de aanpak van witwassen via vastgoed")
    if relative is not None:
        assert relative.published == datetime(2022, 1, 18, 9, 0, tzinfo=UTC)
        assert relative.url.startswith("https://www.riec.nl/")
    campaigns = pool.list_items(store, source="politie-campagnes")
    assert campaigns and {item.kind for item in campaigns} == {ItemKind.CAMPAIGN}
    assert report.source("politie-campagnes").ignored  # ordinary police news left out
    events = pool.list_items(store, kind=ItemKind.EVENT)
    assert events and all(e.event and e.event.start > with_samples.clock.now() for e in events)
    for item in pool.list_items(store, source="var-nieuws"):
        assert "<script" not in item.summary_html and "<iframe" not in item.summary_html
        assert 'src="/' not in item.summary_html and 'href="/' not in item.summary_html
