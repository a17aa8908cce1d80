"""A Parquet file and another one's row groups, as one new file, without decoding either (decision 142).

SPEC §1 publishes every table as one Parquet file. A next week adds one week to each weekly mart and changes
none of its earlier rows, yet writing the file anew encodes every row again: at 200,000 accounts ~115 s of a
weekly refresh for the 16 marts that changed. A Parquet file is its row groups' bytes followed by a footer
(Thrift's compact protocol: the schema, and per row group and column the byte offsets of the pages); a row
group's bytes do not depend on the other row groups. So a file holding the old rows plus the new ones can be
made of the old file's bytes, the bytes of a small file DuckDB wrote for the new rows only, and a footer that
lists the row groups of both at their new offsets.

``append_row_groups(old, delta, out)`` does that: it reads both footers, checks that they describe the same
columns (schema, writer, key/value metadata, column orders, all byte for byte), copies every column chunk
(its dictionary and data pages) and every bloom filter of both files into ``out``, and writes the footer of
both files' row groups with each offset moved to where its bytes now are. Anything it does not know how to move
(page indexes, encryption, column chunks in other files, an offset that points into no copied range) raises
``ParquetLayoutError``, and the caller writes the file whole instead. Nothing else in a Parquet file holds an
absolute offset, so the result reads as the rows of ``old`` followed by those of ``delta``.

The Thrift compact protocol is decoded into a generic tree (field id, type, value: every field kept, known or
not) and encoded back: tests/test_parquet_append.py checks a DuckDB footer comes back byte for byte.
"""

from __future__ import annotations

import bisect
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

MAGIC = b"PAR1"

# Thrift compact protocol types
STOP, BOOL_TRUE, BOOL_FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)
_INTEGERS = (I16, I32, I64)

# Parquet's field ids (parquet.thrift) for what is moved
FILE_SCHEMA, FILE_NUM_ROWS, FILE_ROW_GROUPS = 2, 3, 4
FILE_COMPARED = (1, 2, 5, 6, 7)  # version, schema, key_value_metadata, created_by, column_orders
FILE_KNOWN = {1, 2, 3, 4, 5, 6, 7}  # anything else (8, 9: encryption) is refused
GROUP_COLUMNS, GROUP_FILE_OFFSET, GROUP_ORDINAL = 1, 5, 7
GROUP_KNOWN = set(range(1, 8))  # columns, sizes, rows, sorting columns, file offset, ordinal
CHUNK_FILE_OFFSET, CHUNK_META = 2, 3
CHUNK_REFUSED = {  # what a column chunk may hold that cannot be moved here
    1: "a column chunk in another file",
    4: "a page index",
    6: "a page index",
    8: "encryption",
    9: "encryption",
}
CHUNK_KNOWN = {2, 3, 5, 7}  # file offset, metadata, page index lengths (only with their offsets: refused)
META_TOTAL_COMPRESSED, META_DATA_PAGE, META_INDEX_PAGE, META_DICTIONARY_PAGE = 7, 9, 10, 11
META_BLOOM_OFFSET, META_BLOOM_LENGTH = 14, 15
META_KNOWN = set(range(1, 18))  # parquet.thrift's ColumnMetaData up to its geospatial statistics


class ParquetLayoutError(ValueError):
    """The files cannot be joined this way: write the new file whole."""


@dataclass
class Field:
    id: int
    type: int
    value: Any  # int, bool, bytes, Struct, ThriftList or ThriftMap


Struct = list[Field]


@dataclass
class ThriftList:
    element_type: int
    values: list[Any]
    is_set: bool = False


@dataclass
class ThriftMap:
    key_type: int
    value_type: int
    pairs: list[tuple[Any, Any]]


# ---------------------------------------------------------------------------------------------------------
# Thrift compact protocol


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ParquetLayoutError("the footer ends early")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def varint(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise ParquetLayoutError("a malformed number in the footer")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def raw(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ParquetLayoutError("the footer ends early")
        value = self.data[self.pos : self.pos + size]
        self.pos += size
        return value

    def value(self, kind: int) -> Any:
        if kind in (BOOL_TRUE, BOOL_FALSE):  # an element of a list or map: one byte
            return self.byte()
        if kind == BYTE:
            return self.byte()
        if kind in _INTEGERS:
            return self.zigzag()
        if kind == DOUBLE:
            return self.raw(8)
        if kind == BINARY:
            return self.raw(self.varint())
        if kind in (LIST, SET):
            header = self.byte()
            size, element = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            return ThriftList(element, [self.value(element) for _ in range(size)], kind == SET)
        if kind == MAP:
            size = self.varint()
            if not size:
                return ThriftMap(0, 0, [])
            types = self.byte()
            key, val = types >> 4, types & 0x0F
            return ThriftMap(key, val, [(self.value(key), self.value(val)) for _ in range(size)])
        if kind == STRUCT:
            return self.struct()
        raise ParquetLayoutError(f"an unknown Thrift type {kind} in the footer")

    def struct(self) -> Struct:
        fields: Struct = []
        last = 0
        while True:
            header = self.byte()
            if header == STOP:
                return fields
            kind, delta = header & 0x0F, header >> 4
            field_id = last + delta if delta else self.zigzag()
            last = field_id
            if kind in (BOOL_TRUE, BOOL_FALSE):
                fields.append(Field(field_id, kind, kind == BOOL_TRUE))
            else:
                fields.append(Field(field_id, kind, self.value(kind)))


class _Writer:
    def __init__(self) -> None:
        self.out = bytearray()

    def varint(self, n: int) -> None:
        while True:
            if n < 0x80:
                self.out.append(n)
                return
            self.out.append((n & 0x7F) | 0x80)
            n >>= 7

    def zigzag(self, n: int) -> None:
        self.varint((n << 1) ^ (n >> 63))

    def value(self, kind: int, value: Any) -> None:
        if kind in (BOOL_TRUE, BOOL_FALSE, BYTE):
            self.out.append(value & 0xFF)
        elif kind in _INTEGERS:
            self.zigzag(value)
        elif kind == DOUBLE:
            self.out += value
        elif kind == BINARY:
            self.varint(len(value))
            self.out += value
        elif kind in (LIST, SET):
            size = len(value.values)
            if size < 15:
                self.out.append((size << 4) | value.element_type)
            else:
                self.out.append(0xF0 | value.element_type)
                self.varint(size)
            for element in value.values:
                self.value(value.element_type, element)
        elif kind == MAP:
            self.varint(len(value.pairs))
            if value.pairs:
                self.out.append((value.key_type << 4) | value.value_type)
                for key, val in value.pairs:
                    self.value(value.key_type, key)
                    self.value(value.value_type, val)
        elif kind == STRUCT:
            self.struct(value)
        else:
            raise ParquetLayoutError(f"an unknown Thrift type {kind}")

    def struct(self, fields: Struct) -> None:
        last = 0
        for field in fields:
            kind = (BOOL_TRUE if field.value else BOOL_FALSE) if field.type in (BOOL_TRUE, BOOL_FALSE) else field.type
            delta = field.id - last
            if 0 < delta <= 15:
                self.out.append((delta << 4) | kind)
            else:
                self.out.append(kind)
                self.zigzag(field.id)
            last = field.id
            if kind not in (BOOL_TRUE, BOOL_FALSE):
                self.value(kind, field.value)
        self.out.append(STOP)


def decode(data: bytes) -> Struct:
    reader = _Reader(data)
    fields = reader.struct()
    if reader.pos != len(data):
        raise ParquetLayoutError("the footer has bytes after its end")
    return fields


def encode(fields: Struct) -> bytes:
    writer = _Writer()
    writer.struct(fields)
    return bytes(writer.out)


def _get(fields: Struct, field_id: int) -> Field | None:
    return next((field for field in fields if field.id == field_id), None)


def _set(fields: Struct, field_id: int, kind: int, value: Any) -> None:
    """Replace a field's value, or add the field in field-id order (as Thrift writes them)."""
    for field in fields:
        if field.id == field_id:
            field.type, field.value = kind, value
            return
    fields.append(Field(field_id, kind, value))
    fields.sort(key=lambda field: field.id)


# ---------------------------------------------------------------------------------------------------------
# Parquet


@dataclass
class Footer:
    path: Path
    metadata: Struct
    end: int  # where the footer starts: every page and filter lies in [4, end)

    @property
    def num_rows(self) -> int:
        field = _get(self.metadata, FILE_NUM_ROWS)
        if field is not None and field.type not in _INTEGERS:
            raise ParquetLayoutError("a row count that is not a number")
        return int(field.value) if field else 0

    @property
    def row_groups(self) -> list[Struct]:
        return _groups(self.metadata)


def _read_footer(handle: BinaryIO, path: Path) -> Footer:
    size = os.fstat(handle.fileno()).st_size
    if size < 12:
        raise ParquetLayoutError(f"{path.name}: too short to be a Parquet file")
    handle.seek(0)
    if handle.read(4) != MAGIC:
        raise ParquetLayoutError(f"{path.name}: not a Parquet file")
    handle.seek(size - 8)
    tail = handle.read(8)
    length = struct.unpack("<I", tail[:4])[0]
    if tail[4:] != MAGIC or length + 12 > size:
        raise ParquetLayoutError(f"{path.name}: not a Parquet file (or an encrypted one)")
    handle.seek(size - 8 - length)
    return Footer(path, decode(handle.read(length)), size - 8 - length)


def read_footer(path: Path) -> Footer:
    with open(path, "rb") as handle:
        return _read_footer(handle, path)


def _only_known(fields: Struct, known: set[int], what: str) -> None:
    """A field this module does not know might hold an offset it would not move: refused."""
    if unknown := sorted({field.id for field in fields} - known):
        raise ParquetLayoutError(f"a {what} with fields {unknown} this module does not know")


def _meta(chunk: Struct) -> Struct:
    for field_id, what in CHUNK_REFUSED.items():
        if _get(chunk, field_id) is not None:
            raise ParquetLayoutError(f"{what} is not supported")
    _only_known(chunk, CHUNK_KNOWN, "column chunk")
    meta = _get(chunk, CHUNK_META)
    if meta is None or meta.type != STRUCT:
        raise ParquetLayoutError("a column chunk without its metadata")
    _only_known(meta.value, META_KNOWN, "column's metadata")
    for field in meta.value:
        if (
            field.id
            in (
                META_TOTAL_COMPRESSED,
                META_DATA_PAGE,
                META_INDEX_PAGE,
                META_DICTIONARY_PAGE,
                META_BLOOM_OFFSET,
                META_BLOOM_LENGTH,
            )
            and field.type not in _INTEGERS
        ):
            raise ParquetLayoutError(f"a column's metadata field {field.id} that is not a number")
    return meta.value


def _groups(footer_metadata: Struct) -> list[Struct]:
    field = _get(footer_metadata, FILE_ROW_GROUPS)
    if field is None:
        return []
    if field.type != LIST or field.value.element_type != STRUCT:
        raise ParquetLayoutError("row groups that are not a list of structures")
    for group in field.value.values:
        _only_known(group, GROUP_KNOWN, "row group")
        columns = _get(group, GROUP_COLUMNS)
        if columns is not None and (columns.type != LIST or columns.value.element_type != STRUCT):
            raise ParquetLayoutError("a row group's columns that are not a list of structures")
        if (offset := _get(group, GROUP_FILE_OFFSET)) is not None and offset.type not in _INTEGERS:
            raise ParquetLayoutError("a row group's offset that is not a number")
    return list(field.value.values)


def _ranges(footer: Footer) -> list[tuple[int, int]]:
    """The byte ranges (start, length) of every column chunk's pages and bloom filter, sorted; checked to lie
    in the file's body and not to overlap."""
    ranges: list[tuple[int, int]] = []
    for group in footer.row_groups:
        columns = _get(group, GROUP_COLUMNS)
        for chunk in columns.value.values if columns else []:
            meta = _meta(chunk)
            starts = [
                field.value
                for field_id in (META_DATA_PAGE, META_DICTIONARY_PAGE, META_INDEX_PAGE)
                if (field := _get(meta, field_id)) is not None and field.value > 0
            ]
            total = _get(meta, META_TOTAL_COMPRESSED)
            if not starts or total is None:
                raise ParquetLayoutError("a column chunk without its page offsets or size")
            ranges.append((min(starts), int(total.value)))
            bloom = _get(meta, META_BLOOM_OFFSET)
            if bloom is not None:
                length = _get(meta, META_BLOOM_LENGTH)
                if length is None:
                    raise ParquetLayoutError("a bloom filter of unknown length")
                ranges.append((int(bloom.value), int(length.value)))
    ranges.sort()
    previous_end = len(MAGIC)
    for start, length in ranges:
        if length < 0 or start < previous_end or start + length > footer.end:
            raise ParquetLayoutError(f"{footer.path.name}: its pages overlap or lie outside the file's body")
        previous_end = start + length
    return ranges


@dataclass
class _Moves:
    """Where each copied range of one file now starts."""

    ranges: list[tuple[int, int, int]]  # (old start, length, new start), sorted by old start

    def __post_init__(self) -> None:
        self.starts = [start for start, _, _ in self.ranges]

    def __call__(self, offset: int) -> int:
        index = bisect.bisect_right(self.starts, offset) - 1  # the last range starting at or before it
        if index >= 0:
            start, length, new_start = self.ranges[index]
            if offset < start + length:
                return new_start + offset - start
        raise ParquetLayoutError(f"an offset ({offset}) that points into no page")


def _moved_offset(fields: Struct, field_id: int, moved: _Moves, zero_allowed: bool = False) -> None:
    field = _get(fields, field_id)
    if field is None or (zero_allowed and field.value == 0):  # DuckDB writes 0 in the deprecated file_offset
        return
    field.value = moved(int(field.value))


def _moved_groups(footer: Footer, moved: _Moves) -> list[Struct]:
    """The footer's row groups, their offsets moved (in place: a footer is read for one append only)."""
    groups = footer.row_groups
    for group in groups:
        _moved_offset(group, GROUP_FILE_OFFSET, moved, zero_allowed=True)
        columns = _get(group, GROUP_COLUMNS)
        for chunk in columns.value.values if columns else []:
            _moved_offset(chunk, CHUNK_FILE_OFFSET, moved, zero_allowed=True)
            meta = _meta(chunk)
            for field_id in (META_DATA_PAGE, META_DICTIONARY_PAGE, META_INDEX_PAGE, META_BLOOM_OFFSET):
                _moved_offset(meta, field_id, moved, zero_allowed=field_id != META_DATA_PAGE)
    return groups


def _merged(ranges: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Adjacent ranges as one (fewer, larger copies)."""
    current: tuple[int, int] | None = None
    for start, length in ranges:
        if current is not None and current[0] + current[1] == start:
            current = (current[0], current[1] + length)
            continue
        if current is not None:
            yield current
        current = (start, length)
    if current is not None:
        yield current


def _copy(source: BinaryIO, target: BinaryIO, start: int, length: int) -> None:
    source.seek(start)
    remaining = length
    while remaining:
        block = source.read(min(remaining, 8 << 20))
        if not block:
            raise ParquetLayoutError(f"{source.name}: ends early")
        target.write(block)
        remaining -= len(block)


def append_row_groups(old: Path, delta: Path, out: Path, max_row_groups: int | None = None) -> int:
    """Write ``out``: the rows of ``old`` then those of ``delta`` (both Parquet, the same columns), copying their
    pages as they are. Returns the rows of ``out``. ParquetLayoutError when that cannot be done this way, or when
    ``out`` would have more than ``max_row_groups`` row groups (then ``out`` is not written). Each file is opened
    once: its footer and its pages are read from the same file, even if the name is given to another one
    meanwhile."""
    with open(old, "rb") as old_handle, open(delta, "rb") as delta_handle:
        first, second = _read_footer(old_handle, old), _read_footer(delta_handle, delta)
        groups = len(first.row_groups) + len(second.row_groups)
        if max_row_groups is not None and groups > max_row_groups:
            raise ParquetLayoutError(f"{groups} row groups: written whole to merge the weeks appended")
        return _append(first, old_handle, second, delta_handle, out)


def _append(first: Footer, first_handle: BinaryIO, second: Footer, second_handle: BinaryIO, out: Path) -> int:
    for field_id in FILE_COMPARED:
        a, b = _get(first.metadata, field_id), _get(second.metadata, field_id)
        if (a is None) != (b is None) or (a is not None and encode([a]) != encode([b])):
            if field_id == FILE_SCHEMA:  # DuckDB stores a column that has no NULLs as required, else optional
                raise ParquetLayoutError("the new rows' columns are stored unlike the file's (types, or NULLs)")
            raise ParquetLayoutError(f"the new rows' file has another writer or metadata (footer field {field_id})")
    for footer in (first, second):
        if unknown := {field.id for field in footer.metadata} - FILE_KNOWN:
            raise ParquetLayoutError(f"{footer.path.name}: footer fields {sorted(unknown)} (encryption) not supported")
    rows = first.num_rows + second.num_rows
    plans = []
    position = len(MAGIC)
    for footer in (first, second):
        moves = []
        for start, length in _ranges(footer):
            moves.append((start, length, position))
            position += length
        plans.append((footer, _Moves(moves)))
    groups = [group for footer, moved in plans for group in _moved_groups(footer, moved)]
    if any(_get(group, GROUP_ORDINAL) is not None for group in groups):
        for ordinal, group in enumerate(groups):
            _set(group, GROUP_ORDINAL, I16, ordinal)
    metadata = first.metadata  # the first file's, with both files' row groups
    _set(metadata, FILE_NUM_ROWS, I64, rows)
    _set(metadata, FILE_ROW_GROUPS, LIST, ThriftList(STRUCT, groups))
    footer_bytes = encode(metadata)
    try:
        with open(out, "wb") as target:
            target.write(MAGIC)
            for source, (_, moved) in zip((first_handle, second_handle), plans, strict=True):
                for start, length in _merged([(start, length) for start, length, _ in moved.ranges]):
                    _copy(source, target, start, length)
            if target.tell() != position:
                raise ParquetLayoutError("the copied pages are not where the footer says")
            target.write(footer_bytes)
            target.write(struct.pack("<I", len(footer_bytes)))
            target.write(MAGIC)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return rows


def row_group_count(path: Path) -> int:
    return len(read_footer(path).row_groups)
