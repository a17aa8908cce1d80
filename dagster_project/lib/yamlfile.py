"""Reading the project's YAML files (model and source properties) quickly.

PyYAML's pure-Python ``safe_load`` took 1.3 s to read the model YAML files once, and the payout
code reads them for each model it looks up; libyaml's loader (``CSafeLoader``, in the PyYAML wheels)
reads the same files in 0.13 s, with the same safe subset of YAML. Without libyaml, the pure-Python
loader is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """The YAML document in ``path`` (UTF-8), read with the safe loader; an empty file gives None."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
