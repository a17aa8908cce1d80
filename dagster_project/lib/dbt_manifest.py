"""dbt's ``manifest.json``, parsed once per content of the file.

A refresh asks for the manifest from several steps (the marts, the weekly models, the seeds, the models'
input keys, the project fingerprint; the PostgreSQL serving's docs when it is on): each parse of this
project's 3.6 MB manifest costs ~40 ms and the fingerprint ~0.1 s more. A version is the SHA-256 of the
file's bytes (~3 ms to read and hash), so a manifest that ``dbt parse`` wrote again is read anew however
quickly it was rewritten, and whatever the file system's timestamps. The two versions last used are kept.
What it returns is shared between callers: read it, never change it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
KEPT = 2  # versions kept: the one in use and the one it replaced (each ~9 MB parsed)

_versions: OrderedDict[bytes, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def _entry(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    content = path.read_bytes()
    version = hashlib.sha256(content).digest()
    with _lock:
        entry = _versions.get(version)
        if entry is None:
            entry = (json.loads(content), {})
            _versions[version] = entry
            while len(_versions) > KEPT:
                _versions.popitem(last=False)
        _versions.move_to_end(version)
        return entry


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path`` (parsed once per content of the file)."""
    return _entry(path)[0]


def derived(path: Path, name: str, compute: Callable[[dict[str, Any]], T]) -> T:
    """``compute(manifest)``, remembered under ``name`` for this content of the file."""
    manifest, values = _entry(path)
    if name not in values:  # two threads may both compute it; the value is the same
        values[name] = compute(manifest)
    return values[name]
