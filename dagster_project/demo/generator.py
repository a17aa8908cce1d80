"""Orchestration: build every landing table and write the files, the manifest and the fault list."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .calendar import Window, from_day, resolve_end
from .commercial_tables import commercial_tables, make_ids_registry, master_tables
from .engagement import build_engagement
from .entities import build_accounts, build_contacts, build_partners
from .faults import CSV_FAULTS, FaultSet, feature_faults, usage_faults
from .fx import build_fx
from .health import simulate_health
from .rng import Streams
from .schema import PARQUET_TABLES, TABLES
from .simulation import simulate_commercial
from .usage import FEATURE_SCHEMA, USAGE_SCHEMA, UsageGenerator
from .writer import stringify, write_csv, write_parquet

GENERATOR_VERSION = 1
MIN_ACCOUNTS = 20
MANIFEST_FILE = "_demo_manifest.json"
FAULTS_FILE = "_faults.json"
_PART = re.compile(r"^part-\d{5}\.parquet$")


@dataclass(frozen=True)
class DemoManifest:
    """What `generate_demo_data` wrote (mirrors `_demo_manifest.json`) and where."""

    generator_version: int
    accounts: int
    seed: int
    end: dt.date
    first_week: dt.date
    faults: bool
    row_counts: dict[str, int]
    files: dict[str, list[str]]
    path: Path


def generate_demo_data(
    out_dir: Path,
    accounts: int = 2000,
    seed: int = 42,
    end: dt.date | None = None,
    faults: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DemoManifest:
    """Write the demo landing files (SPEC §2) for `accounts` accounts over the 104 ISO weeks ending `end`."""
    if int(accounts) < MIN_ACCOUNTS:
        raise ValueError(f"accounts must be at least {MIN_ACCOUNTS}, got {accounts}")
    end = resolve_end(end)
    say = progress or (lambda _msg: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    win = Window.from_end(end)
    streams = Streams(seed)
    n = int(accounts)

    usage_weeks = win.n_weeks - win.window_week0
    say(
        f"simulating {n:,} accounts: {usage_weeks} weeks of usage (the weekly partitions) ending {end.isoformat()}, "
        f"after {win.window_week0} weeks of CRM and billing history"
    )
    partners = build_partners(n, win, streams)
    accts = build_accounts(n, win, partners, streams)
    contacts = build_contacts(accts, win, streams)
    health = simulate_health(accts, partners, win, streams)
    fx = build_fx(win, streams)
    com = simulate_commercial(accts, partners, health, fx, win, streams)
    say(f"commercial history: {len(com.subs['acc']):,} subscriptions, {len(com.opps['acc']):,} opportunities")
    ids = make_ids_registry(partners, accts, contacts)
    tables = master_tables(partners, accts, contacts, ids, win, streams)
    books = commercial_tables(com, accts, partners, health, ids, win, streams)
    del com
    tables.update(
        subscriptions=books.subscriptions,
        subscription_items=books.subscription_items,
        opportunities=books.opportunities,
        invoices=books.invoices,
        fx_rates=fx.table(),
    )
    tables.update(build_engagement(accts, partners, contacts, health, books, ids, win, streams))

    fault_set = FaultSet() if faults else None
    row_counts: dict[str, int] = {}
    files: dict[str, list[str]] = {}
    for name in TABLES:
        if name in PARQUET_TABLES:
            continue
        table = tables.pop(name)
        text = stringify(table, name)
        extra = []
        if fault_set is not None:
            for reason, row in CSV_FAULTS.get(name, lambda _t: [])(text):
                fault_set.add(name, reason, row, f"{name}.csv")
                extra.append(row)
        row_counts[name] = write_csv(out / f"{name}.csv", name, text, extra)
        files[name] = [f"{name}.csv"]
        say(f"{name}: {row_counts[name]:,} rows")
        del table, text

    _write_usage(out, UsageGenerator(accts, health, books, ids, win, streams), fault_set, row_counts, files, say)

    manifest = DemoManifest(
        generator_version=GENERATOR_VERSION,
        accounts=n,
        seed=int(seed),
        end=end,
        first_week=from_day(win.first_week),
        faults=bool(faults),
        row_counts={t: row_counts[t] for t in TABLES},
        files={t: files[t] for t in TABLES},
        path=out,
    )
    _write_json(
        out / MANIFEST_FILE,
        {
            "generator_version": manifest.generator_version,
            "accounts": manifest.accounts,
            "seed": manifest.seed,
            "end": manifest.end.isoformat(),
            "first_week": manifest.first_week.isoformat(),
            "faults": manifest.faults,
            "row_counts": manifest.row_counts,
            "files": manifest.files,
        },
    )
    faults_path = out / FAULTS_FILE
    if fault_set is not None:
        _write_json(faults_path, fault_set.manifest())
    elif faults_path.exists():
        faults_path.unlink()  # a stale list from an earlier faults=True run would be wrong now
    say(f"done: {sum(row_counts.values()):,} rows in {out}")
    return manifest


def _write_json(path: Path, payload: dict[str, object]) -> None:
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def _as_text_row(table: pa.Table, i: int) -> dict[str, str | None]:
    return {c: table.column(c).cast(pa.string())[i].as_py() for c in table.column_names}


def _free_slot(table: pa.Table) -> dict[str, str | None]:
    """A usage row re-dated to a day on which its (account, product) has no row but still holds the product."""
    acc0, prod0 = table.column("account_id")[0], table.column("product_id")[0]
    same = pc.and_(pc.equal(table.column("account_id"), acc0), pc.equal(table.column("product_id"), prod0))
    group = table.filter(same)
    days = np.sort(group.column("usage_date").cast(pa.int32()).to_numpy())
    gaps = np.flatnonzero(np.diff(days) > 1)
    day = int(days[gaps[0]] + 1) if len(gaps) else int(days[0] - 1)
    row = _as_text_row(group, int(gaps[0]) if len(gaps) else 0)
    row["usage_date"] = from_day(day).isoformat()
    return row


def _append_rows(table: pa.Table, rows: list[dict[str, str | None]], schema: pa.Schema) -> pa.Table:
    extra = pa.table({f.name: pa.array([r[f.name] for r in rows], pa.string()).cast(f.type) for f in schema})
    return pa.concat_tables([table, extra])


def _write_usage(
    out: Path,
    gen: UsageGenerator,
    fault_set: FaultSet | None,
    row_counts: dict[str, int],
    files: dict[str, list[str]],
    say: Callable[[str], None],
) -> None:
    """Stream usage_daily / feature_usage_weekly: one Parquet part per chunk of accounts."""
    folders = {t: out / t for t in PARQUET_TABLES}
    for folder in folders.values():
        folder.mkdir(exist_ok=True)
    counts = dict.fromkeys(PARQUET_TABLES, 0)
    names = {t: [] for t in PARQUET_TABLES}
    first: dict[str, dict[str, str | None]] = {}
    fallback: pa.Table | None = None
    last = gen.n_chunks - 1
    for chunk in gen.chunks():
        parts = {"usage_daily": chunk.usage, "feature_usage_weekly": chunk.features}
        for t, tbl in parts.items():
            if t not in first and len(tbl):
                first[t] = _as_text_row(tbl, 0)
        if fallback is None and len(chunk.usage):
            fallback = chunk.usage.slice(0, 5000)
        if fault_set is not None and chunk.index == last:
            part = f"part-{last:05d}.parquet"
            slot = _free_slot(chunk.usage if len(chunk.usage) else fallback)
            for t, rows, schema in (
                ("usage_daily", usage_faults(first["usage_daily"], slot), USAGE_SCHEMA),
                ("feature_usage_weekly", feature_faults(first["feature_usage_weekly"]), FEATURE_SCHEMA),
            ):
                for reason, row in rows:
                    fault_set.add(t, reason, row, f"{t}/{part}", parquet=True)
                parts[t] = _append_rows(parts[t], [r for _, r in rows], schema)
        for t, tbl in parts.items():
            part = f"part-{chunk.index:05d}.parquet"
            write_parquet(folders[t] / part, tbl)
            names[t].append(f"{t}/{part}")
            counts[t] += len(tbl)
        say(
            f"usage_daily: {chunk.index + 1}/{gen.n_chunks} chunks, {counts['usage_daily'] / 1e6:.1f}M rows; "
            f"feature_usage_weekly {counts['feature_usage_weekly'] / 1e6:.1f}M rows"
        )
    for t, folder in folders.items():
        keep = {Path(p).name for p in names[t]}
        for stale in sorted(folder.iterdir()):
            if _PART.match(stale.name) and stale.name not in keep:
                stale.unlink()  # parts from an earlier, larger run of this generator
        row_counts[t] = counts[t]
        files[t] = names[t]
