"""File writers: CSV per the landing contract (minimal quoting, empty = null) and typed Parquet parts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .schema import TABLES, Kind

CSV_SLICE = 500_000
_NEEDS_QUOTES = r'[",\r\n]|^\s|\s$'


def stringify(table: pa.Table, name: str) -> dict[str, pa.Array]:
    """Every column as its CSV text (nulls stay null)."""
    out: dict[str, pa.Array] = {}
    for col, kind in TABLES[name]:
        out[col] = _to_text(table.column(col).combine_chunks(), kind)
    return out


def _to_text(arr: pa.Array, kind: Kind) -> pa.Array:
    if kind == "str":
        return arr.cast(pa.string())
    if kind == "ts":
        return pc.strftime(arr, format="%Y-%m-%dT%H:%M:%SZ")
    if kind == "money":
        valid = np.asarray(arr.is_valid())
        cents = np.rint(np.nan_to_num(arr.to_numpy(zero_copy_only=False).astype(np.float64)) * 100).astype(np.int64)
        neg = cents < 0
        mag = np.abs(cents)
        whole = pa.array(mag // 100).cast(pa.string())
        frac = pc.utf8_lpad(pa.array(mag % 100).cast(pa.string()), width=2, padding="0")
        text = pc.binary_join_element_wise(whole, frac, ".")
        text = pc.if_else(pa.array(neg), pc.binary_join_element_wise(pa.scalar("-"), text, ""), text)
        return pc.if_else(pa.array(valid), text, pa.nulls(len(arr), pa.string()))
    return arr.cast(pa.string())  # date → YYYY-MM-DD, bool → true/false, int, float (shortest repr)


def _quote(arr: pa.Array) -> pa.Array:
    needs = pc.fill_null(pc.match_substring_regex(arr, _NEEDS_QUOTES), False)
    if not pc.any(needs).as_py():
        return arr
    quoted = pc.binary_join_element_wise(pa.scalar('"'), pc.replace_substring(arr, '"', '""'), pa.scalar('"'), "")
    return pc.if_else(needs, quoted, arr)


def write_csv(path: Path, name: str, text: Mapping[str, pa.Array], extra: Sequence[Mapping[str, str | None]]) -> int:
    """Write header + rows (+ `extra` raw rows appended at the end); returns the number of data rows."""
    cols = [c for c, _ in TABLES[name]]
    if extra:
        text = {c: pa.concat_arrays([text[c], pa.array([r.get(c) for r in extra], pa.string())]) for c in cols}
    n = len(text[cols[0]])
    quoted = [_quote(text[c]) for c in cols]
    with open(path, "wb") as f:
        f.write((",".join(cols) + "\n").encode("utf-8"))
        for s in range(0, n, CSV_SLICE):
            parts = [q.slice(s, CSV_SLICE) for q in quoted]
            line = pc.binary_join_element_wise(*parts, ",", null_handling="replace", null_replacement="")
            line = pc.binary_join_element_wise(line, pa.scalar(""), "\n")
            if isinstance(line, pa.ChunkedArray):
                line = line.combine_chunks()
            offsets = np.frombuffer(line.buffers()[1], dtype=np.int32)[line.offset : line.offset + len(line) + 1]
            data = line.buffers()[2]
            if data is not None:
                f.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
    return n


def write_parquet(path: Path, table: pa.Table) -> None:
    """One Parquet part with fixed writer options (deterministic bytes)."""
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        version="2.6",
        data_page_version="1.0",
        row_group_size=max(len(table), 1),
        store_schema=True,
    )
