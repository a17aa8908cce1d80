"""dbt's ``manifest.json``, parsed once per version of the file.

A refresh asks for the manifest from several steps (the weekly models, the seeds, the models' input keys,
the project fingerprint, the marts): each parse of this project's 3.6 MB manifest costs ~40 ms and the
fingerprint ~0.1 s more. A version is the resolved path with its inode, size and modification time, so a
manifest that ``dbt parse`` wrote again, or a run's own copy of it, is read anew. The few versions last used
are kept. What it returns is shared between callers: read it, never change it.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
KEPT = 4  # versions kept: the project's manifest, a run's copy, one being replaced

_Version = tuple[str, int, int, int]
_versions: OrderedDict[_Version, tuple[dict[str, Any], dict[str, Any]]] = OrderedDict()
_lock = threading.Lock()


def _entry(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    resolved = path.resolve()
    stat = resolved.stat()
    version = (str(resolved), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _lock:
        entry = _versions.get(version)
        if entry is None:
            entry = (json.loads(resolved.read_bytes()), {})
            _versions[version] = entry
            while len(_versions) > KEPT:
                _versions.popitem(last=False)
        _versions.move_to_end(version)
        return entry


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path`` (parsed once per version of the file)."""
    return _entry(path)[0]


def derived(path: Path, name: str, compute: Callable[[dict[str, Any]], T]) -> T:
    """``compute(manifest)``, remembered under ``name`` for this version of the file."""
    manifest, values = _entry(path)
    if name not in values:  # two threads may both compute it; the value is the same
        values[name] = compute(manifest)
    return values[name]
