"""The audience: subscribers, CSV import/export, segments, suppression and privacy.

The functions other stages call (see docs/architecture.md) are importable from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .export import export_csv
    from .importer import ImportOutcome, ImportReport, LineResult, import_csv
    from .privacy import (
        EraseReport,
        ErasureTarget,
        erase_profile,
        erasure_target,
        export_person,
        scrub,
    )
    from .recipients import (
        count,
        count_matching,
        count_suppressed,
        iter_recipients,
        still_recipients,
    )
    from .segments import Segment, load_segment, load_segments, segment_names
    from .subscribers import SubscriberRecord, find_subscriber, get_subscriber, set_status
    from .suppression import (
        Suppression,
        erasure_key,
        find_suppression,
        is_suppressed,
        list_suppressions,
        suppress,
        suppressed_among,
    )

# An import pulls in email-validator and the CSV and workbook readers; counting a
# segment needs none of them. So the names load from their modules on first use
# (PEP 562), and `audience count` starts as quickly as the database allows.
_LAZY = {
    "export_csv": "export",
    "ImportOutcome": "importer",
    "ImportReport": "importer",
    "LineResult": "importer",
    "import_csv": "importer",
    "EraseReport": "privacy",
    "ErasureTarget": "privacy",
    "erase_profile": "privacy",
    "erasure_target": "privacy",
    "export_person": "privacy",
    "scrub": "privacy",
    "count": "recipients",
    "count_matching": "recipients",
    "count_suppressed": "recipients",
    "iter_recipients": "recipients",
    "still_recipients": "recipients",
    "Segment": "segments",
    "load_segment": "segments",
    "load_segments": "segments",
    "segment_names": "segments",
    "SubscriberRecord": "subscribers",
    "find_subscriber": "subscribers",
    "get_subscriber": "subscribers",
    "set_status": "subscribers",
    "Suppression": "suppression",
    "erasure_key": "suppression",
    "find_suppression": "suppression",
    "is_suppressed": "suppression",
    "list_suppressions": "suppression",
    "suppress": "suppression",
    "suppressed_among": "suppression",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "EraseReport",
    "ErasureTarget",
    "ImportOutcome",
    "ImportReport",
    "LineResult",
    "Segment",
    "SubscriberRecord",
    "Suppression",
    "count",
    "count_matching",
    "count_suppressed",
    "erase_profile",
    "erasure_key",
    "erasure_target",
    "export_csv",
    "export_person",
    "find_subscriber",
    "find_suppression",
    "get_subscriber",
    "import_csv",
    "is_suppressed",
    "iter_recipients",
    "list_suppressions",
    "load_segment",
    "load_segments",
    "scrub",
    "segment_names",
    "set_status",
    "still_recipients",
    "suppress",
    "suppressed_among",
]
