"""The audience: subscribers, CSV import/export, segments, suppression and privacy.

The functions other stages call (see docs/architecture.md) are importable from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from varcomms.lazy import lazy_exports

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
__getattr__ = lazy_exports(
    __name__,
    {
        "export": ("export_csv",),
        "importer": ("ImportOutcome", "ImportReport", "LineResult", "import_csv"),
        "privacy": (
            "EraseReport",
            "ErasureTarget",
            "erase_profile",
            "erasure_target",
            "export_person",
            "scrub",
        ),
        "recipients": (
            "count",
            "count_matching",
            "count_suppressed",
            "iter_recipients",
            "still_recipients",
        ),
        "segments": ("Segment", "load_segment", "load_segments", "segment_names"),
        "subscribers": ("SubscriberRecord", "find_subscriber", "get_subscriber", "set_status"),
        "suppression": (
            "Suppression",
            "erasure_key",
            "find_suppression",
            "is_suppressed",
            "list_suppressions",
            "suppress",
            "suppressed_among",
        ),
    },
)


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
