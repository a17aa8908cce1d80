"""Vectorised builders of typed Arrow columns from numpy arrays (no per-row Python)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NULL = -1  # sentinel for "no value" in integer index / day arrays


def id_width(n: int, minimum: int) -> int:
    """Digits needed for ids 1..n, at least `minimum`."""
    return max(minimum, len(str(max(int(n), 1))))


def make_ids(prefix: str, numbers: np.ndarray, width: int, null: np.ndarray | None = None) -> pa.Array:
    """`prefix` + zero-padded number; entries flagged by `null` become nulls."""
    nums = np.asarray(numbers, dtype=np.int64)
    digits = pc.utf8_lpad(pa.array(nums).cast(pa.string()), width=width, padding="0")
    out = pc.binary_join_element_wise(pa.scalar(prefix), digits, "")
    if null is not None and null.any():
        out = pc.if_else(pa.array(null), pa.nulls(len(nums), pa.string()), out)
    return out


def lookup(values: pa.Array | Sequence[str], index: np.ndarray) -> pa.Array:
    """values[index] with nulls where index < 0."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
    idx = np.asarray(index, dtype=np.int64)
    neg = idx < 0
    return arr.take(pa.array(np.where(neg, 0, idx), mask=neg if neg.any() else None))


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """date32 column from day numbers (null where `null`, or where day == NULL if `null` is None)."""
    d = np.asarray(days, dtype=np.int64)
    mask = (d == NULL) if null is None else null
    return pa.array(d.astype(np.int32), mask=mask if mask.any() else None).view(pa.date32())


def timestamps(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """timestamp[s] (UTC) column from epoch seconds."""
    s = np.asarray(seconds, dtype=np.int64)
    return pa.array(s, mask=null if null is not None and null.any() else None).view(pa.timestamp("s"))


def ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """int64 column."""
    return pa.array(np.asarray(values, dtype=np.int64), mask=null if null is not None and null.any() else None)


def floats(values: np.ndarray, decimals: int, null: np.ndarray | None = None) -> pa.Array:
    """float64 column rounded to `decimals`."""
    v = np.round(np.asarray(values, dtype=np.float64), decimals)
    return pa.array(v, mask=null if null is not None and null.any() else None)


def bools(values: np.ndarray) -> pa.Array:
    """bool column."""
    return pa.array(np.asarray(values, dtype=bool))


def join_words(*parts: pa.Array | str, sep: str = " ") -> pa.Array:
    """Element-wise string join."""
    return pc.binary_join_element_wise(*[pa.scalar(p) if isinstance(p, str) else p for p in parts], sep)


def pick(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """n categorical draws (int64 codes) from weights."""
    w = np.asarray(weights, dtype=np.float64)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right").clip(0, len(w) - 1)


def quota(rng: np.random.Generator, n: int, shares: Sequence[float]) -> np.ndarray:
    """Codes with counts exactly proportional to `shares` (each ≥ 1 when n allows), shuffled."""
    s = np.asarray(shares, dtype=np.float64)
    counts = np.floor(s / s.sum() * n).astype(np.int64)
    if n >= len(s):
        counts = np.maximum(counts, 1)
    while counts.sum() < n:
        counts[np.argmax(s / s.sum() * n - counts)] += 1
    while counts.sum() > n:
        counts[np.argmax(counts)] -= 1
    return rng.permutation(np.repeat(np.arange(len(s)), counts))


def with_variants(labels: Sequence[str], codes: np.ndarray, rng: np.random.Generator, share: float) -> pa.Array:
    """Enum labels where a `share` of rows use valid case / whitespace variants ('msp', ' MSP ', 'MSP')."""
    base = lookup(labels, codes)
    u = rng.random(len(codes))
    kind = np.where(u < share / 3, 1, np.where(u < 2 * share / 3, 2, np.where(u < share, 3, 0)))
    lower = pc.utf8_lower(base)
    upper = pc.utf8_upper(base)
    padded = join_words(" ", base, " ", sep="")
    out = pc.if_else(pa.array(kind == 1), lower, base)
    out = pc.if_else(pa.array(kind == 2), upper, out)
    return pc.if_else(pa.array(kind == 3), padded, out)


def ranks(order: np.ndarray) -> np.ndarray:
    """Inverse permutation: rank[old_index] = new position."""
    r = np.empty(len(order), dtype=np.int64)
    r[order] = np.arange(len(order), dtype=np.int64)
    return r


def expand(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For intervals (start, length): (interval index per element, start + offset per element)."""
    lengths = np.maximum(np.asarray(lengths, dtype=np.int64), 0)
    total = int(lengths.sum())
    owner = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    offset = np.arange(total, dtype=np.int64) - first[owner]
    return owner, np.asarray(starts, dtype=np.int64)[owner] + offset
