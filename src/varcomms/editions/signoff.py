"""Sign-offs bound to content hashes.

A sign-off records a hash of every file it covers: the VAR signs for the whole edition,
the RIEC for ``riec.md``. When any covered file changes afterwards the sign-off is
void, and :func:`check_signoffs` says which files changed. The workflow fields of
``edition.yaml`` (status, sign-offs) are left out of its hash, so recording a sign-off
does not void another.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from varcomms import safeyaml
from varcomms.editions.formats import SignOffRecord
from varcomms.editions.reader import EDITION_FILE, EditionDocument
from varcomms.errors import InputError
from varcomms.safefiles import read_bytes_inside

ROLE_LABELS = {"var": "VAR", "riec": "RIEC"}
WORKFLOW_KEYS = ("status", "signoffs")
ABSENT = "absent"


def required_roles(brands: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """VAR always signs for the whole; the RIEC too when the edition carries its brand."""
    return ("var", "riec") if "riec" in brands else ("var",)


def file_hash(folder: Path, name: str) -> str:
    path = folder / name
    try:
        raw = read_bytes_inside(path, folder)
    except FileNotFoundError:
        return ABSENT
    if name == EDITION_FILE:
        try:
            data = safeyaml.safe_load(raw) or {}
        except safeyaml.UnsafeYamlError as err:
            raise InputError(err.message, path=path, line=err.line) from err
        if isinstance(data, Mapping):
            data = {key: value for key, value in data.items() if key not in WORKFLOW_KEYS}
        raw = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    else:
        raw = raw.replace(b"\r\n", b"\n")
    return hashlib.sha256(raw).hexdigest()[:16]


def covered_files(document: EditionDocument, role: str) -> list[str]:
    return ["riec.md"] if role == "riec" else document.content_files


def manifest(document: EditionDocument, role: str) -> dict[str, str]:
    return {name: file_hash(document.folder, name) for name in covered_files(document, role)}


def combined_hash(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{files[name]}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class VoidedSignOff:
    record: SignOffRecord
    changed: tuple[str, ...]

    @property
    def role(self) -> str:
        return self.record.role

    def describe(self) -> str:
        who = f"{ROLE_LABELS[self.record.role]} sign-off by {self.record.by}"
        files = ", ".join(self.changed) if self.changed else "the content"
        return f"{who} is void: {files} changed since it was given"

    def to_dict(self) -> dict[str, object]:
        return {"role": self.role, "by": self.record.by, "changed": list(self.changed)}


def check_signoffs(
    document: EditionDocument,
) -> tuple[list[SignOffRecord], list[VoidedSignOff]]:
    """Split the recorded sign-offs into those still valid and those voided by edits."""
    valid: list[SignOffRecord] = []
    voided: list[VoidedSignOff] = []
    for record in document.meta.signoffs:
        current = manifest(document, record.role)
        if combined_hash(current) == record.content_hash:
            valid.append(record)
            continue
        names = set(current) | set(record.files)
        changed = tuple(
            sorted(name for name in names if current.get(name) != record.files.get(name))
        )
        voided.append(VoidedSignOff(record=record, changed=changed))
    return valid, voided


def sign(document: EditionDocument, role: str, by: str, at: object) -> SignOffRecord:
    files = manifest(document, role)
    return SignOffRecord.model_validate(
        {"role": role, "by": by, "at": at, "content_hash": combined_hash(files), "files": files}
    )
