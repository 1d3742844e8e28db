"""Names of a package that load from their submodules on first use (PEP 562).

A stage's ``__init__`` gathers the functions other stages call. Importing every
submodule for that would make each command pay for all of them: `send status` would
load the send machinery, `audience count` the CSV importer and email-validator. A
package hands its names to :func:`lazy_exports` instead, and keeps the same names in
a ``TYPE_CHECKING`` block for the type checker.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(package: str, modules: Mapping[str, Sequence[str]]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``; ``modules`` maps each submodule to the
    names it gives. A name is imported when first asked for, then kept on the package."""
    home = {name: module for module, names in modules.items() for name in names}

    def load(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # found directly from now on
        return value

    return load
