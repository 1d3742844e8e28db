"""An archive project: the sample edition copied as sent editions of two years."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT
from varcomms.clock import FakeClock
from varcomms.config import Config
from varcomms.context import Context
from varcomms.store import Store
from varcomms.store.schema import sends

SAMPLE = ROOT / "newsletters" / "2022-01"


def copy_edition(root: Path, edition_id: str, *, status: str, planned: str) -> Path:
    folder = root / edition_id
    shutil.copytree(SAMPLE, folder)
    meta = folder / "edition.yaml"
    text = meta.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^id: .*$", f"id: {edition_id}", text)
    text = re.sub(r"(?m)^planned: .*$", f"planned: {planned}", text)
    text = re.sub(r"(?m)^status: .*$", f"status: {status}", text)
    meta.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def archive_config(sample_config: Config, tmp_path: Path) -> Config:
    root = tmp_path / "newsletters"
    copy_edition(root, "2021-12", status="sent", planned="2021-12-14 09:00")
    copy_edition(root, "2022-01", status="sent", planned="2022-02-01 09:00")
    copy_edition(root, "2022-02", status="approved", planned="2022-03-15 09:00")
    paths = sample_config.paths.model_copy(update={"newsletters": root})
    return sample_config.model_copy(update={"paths": paths})


@pytest.fixture
def archive_ctx(archive_config: Config, store: Store) -> Iterator[Context]:
    ctx = Context(config=archive_config, clock=FakeClock(datetime(2022, 3, 1, tzinfo=UTC)))
    ctx.__dict__["store"] = store
    with store.engine.begin() as connection:
        # 2022-01 actually went out a day late; 2021-12 has no send record (planned counts).
        connection.execute(
            sends.insert(),
            [
                {
                    "id": "s1",
                    "edition_id": "2022-01",
                    "provider": "outbox",
                    "is_test": False,
                    "status": "finished",
                    "created_at": datetime(2022, 2, 2, 8, 0, tzinfo=UTC),
                    "finished_at": datetime(2022, 2, 2, 8, 5, tzinfo=UTC),
                },
                {
                    "id": "t1",
                    "edition_id": "2022-01",
                    "provider": "outbox",
                    "is_test": True,
                    "status": "finished",
                    "created_at": datetime(2022, 1, 20, 8, 0, tzinfo=UTC),
                    "finished_at": datetime(2022, 1, 20, 8, 1, tzinfo=UTC),
                },
            ],
        )
    yield ctx
