"""Where a source lives: paths and file: URLs are relative to the config's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sources.conftest import source
from varcomms.config import Config
from varcomms.errors import SourceError
from varcomms.sources.base import local_path


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"path": Path("samples/feeds/a.xml")}, "samples/feeds/a.xml"),
        ({"url": "samples/feeds/a.xml"}, "samples/feeds/a.xml"),
        ({"url": "file:samples/feeds/a.xml"}, "samples/feeds/a.xml"),
        ({"url": "file:///srv/feeds/a%20b.xml"}, "/srv/feeds/a b.xml"),
        ({"path": Path("/srv/feeds/a.xml")}, "/srv/feeds/a.xml"),
    ],
)
def test_local_locations(sample_config: Config, kwargs: dict, expected: str) -> None:
    found = local_path(source("s", **kwargs), sample_config)
    assert found == sample_config.root / expected


def test_http_is_fetched_and_other_schemes_refused(sample_config: Config) -> None:
    assert local_path(source("s", url="https://example.org/feed/"), sample_config) is None
    with pytest.raises(SourceError, match="unsupported URL scheme 'ftp'"):
        local_path(source("s", url="ftp://example.org/feed.xml"), sample_config)
