"""The demo-data generator: contract (SPEC §2), determinism, integrity, dynamics and injected faults.

Everything is asserted from the written files (DuckDB over CSV / Parquet); the contract below is copied
from SPEC §2 on purpose rather than imported from the generator."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from dagster_project.demo import DemoManifest, generate_demo_data

END = dt.date(2024, 6, 30)  # a Sunday
FIRST_WEEK = dt.date(2022, 7, 4)  # END - 104 weeks + 1 day

COLUMNS: dict[str, list[str]] = {
    "partners": ["partner_id", "partner_name", "partner_type", "partner_tier", "region", "onboarded_date"],
    "accounts": [
        "account_id",
        "account_name",
        "partner_id",
        "segment",
        "industry",
        "region",
        "country",
        "created_date",
    ],
    "partner_assignments": ["account_id", "partner_id", "valid_from", "valid_to"],
    "contacts": ["contact_id", "account_id", "title", "is_executive", "created_date"],
    "activities": ["activity_id", "account_id", "partner_id", "contact_id", "activity_type", "activity_date"],
    "opportunities": [
        "opportunity_id",
        "account_id",
        "partner_id",
        "partner_role",
        "opportunity_type",
        "product_id",
        "stage",
        "amount_arr",
        "currency",
        "trigger_type",
        "created_date",
        "close_date",
        "renewal_subscription_id",
    ],
    "milestones": ["milestone_id", "account_id", "milestone_type", "milestone_name", "due_date", "completed_date"],
    "renewal_plans": ["renewal_plan_id", "subscription_id", "status", "updated_date"],
    "business_events": ["event_id", "account_id", "event_type", "event_date", "description"],
    "firmographics": ["account_id", "snapshot_date", "employee_count", "open_job_postings"],
    "support_tickets": ["ticket_id", "account_id", "opened_at", "closed_at", "priority", "csat_score"],
    "nps_responses": ["response_id", "account_id", "contact_id", "responded_date", "score"],
    "features": ["feature_id", "product_id", "feature_name", "feature_tier"],
    "usage_daily": [
        "account_id",
        "product_id",
        "usage_date",
        "active_users",
        "weekly_active_users",
        "monthly_active_users",
        "api_calls",
        "storage_gb",
        "active_departments",
    ],
    "feature_usage_weekly": ["account_id", "feature_id", "week_start", "active_users", "events"],
    "training_enrollments": ["enrollment_id", "account_id", "course_id", "enrolled_date", "completed_date"],
    "products": ["product_id", "product_name", "product_line", "edition_rank", "pricing_model", "list_price_annual"],
    "subscriptions": [
        "subscription_id",
        "account_id",
        "currency",
        "start_date",
        "end_date",
        "auto_renew",
        "status",
        "cancelled_date",
        "renewed_from_subscription_id",
    ],
    "subscription_items": [
        "item_id",
        "subscription_id",
        "product_id",
        "quantity",
        "unit_price_annual",
        "discount_pct",
        "effective_from",
        "effective_to",
    ],
    "invoices": [
        "invoice_id",
        "subscription_id",
        "account_id",
        "invoice_date",
        "due_date",
        "amount",
        "currency",
        "paid_date",
        "status",
    ],
    "fx_rates": ["currency", "rate_date", "usd_per_unit"],
}
FOLDERS = ("usage_daily", "feature_usage_weekly")
KEYS: dict[str, list[str]] = {
    "partners": ["partner_id"],
    "accounts": ["account_id"],
    "contacts": ["contact_id"],
    "partner_assignments": ["account_id", "valid_from"],
    "activities": ["activity_id"],
    "opportunities": ["opportunity_id"],
    "milestones": ["milestone_id"],
    "renewal_plans": ["renewal_plan_id"],
    "business_events": ["event_id"],
    "firmographics": ["account_id", "snapshot_date"],
    "support_tickets": ["ticket_id"],
    "nps_responses": ["response_id"],
    "features": ["feature_id"],
    "usage_daily": ["account_id", "product_id", "usage_date"],
    "feature_usage_weekly": ["account_id", "feature_id", "week_start"],
    "training_enrollments": ["enrollment_id"],
    "products": ["product_id"],
    "subscriptions": ["subscription_id"],
    "subscription_items": ["item_id"],
    "invoices": ["invoice_id"],
    "fx_rates": ["currency", "rate_date"],
}
ENUMS: dict[tuple[str, str], list[str]] = {
    ("partners", "partner_type"): ["MSP", "Reseller", "Distributor", "GSI", "SI", "Technology Alliance", "Marketplace"],
    ("partners", "partner_tier"): ["Platinum", "Gold", "Silver", "Registered"],
    ("partners", "region"): ["NA", "EMEA", "APAC", "LATAM"],
    ("accounts", "segment"): ["SMB", "Mid-Market", "Enterprise"],
    ("accounts", "region"): ["NA", "EMEA", "APAC", "LATAM"],
    ("activities", "activity_type"): [
        "qbr",
        "onboarding_workshop",
        "training_session",
        "executive_meeting",
        "success_plan_review",
        "roadmap_session",
        "adoption_review",
        "pilot",
        "proof_of_concept",
        "architecture_workshop",
        "expansion_outreach",
        "renewal_call",
        "other",
    ],
    ("opportunities", "partner_role"): ["sourced", "influenced"],
    ("opportunities", "opportunity_type"): ["New Business", "Renewal", "Upsell", "Cross-sell", "License Expansion"],
    ("opportunities", "stage"): [
        "Qualification",
        "Discovery",
        "Validation",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ],
    ("opportunities", "trigger_type"): [
        "usage_threshold",
        "business_event",
        "organizational_change",
        "renewal",
        "inbound",
        "other",
    ],
    ("opportunities", "currency"): ["USD", "EUR", "GBP", "AUD"],
    ("milestones", "milestone_type"): ["onboarding", "success_plan_checkpoint", "roi_documented"],
    ("renewal_plans", "status"): ["missing", "in_progress", "complete"],
    ("business_events", "event_type"): [
        "funding_round",
        "revenue_growth_announcement",
        "merger_acquisition",
        "reorganization",
        "compliance_mandate",
        "product_launch",
        "it_modernization",
        "geographic_expansion",
        "competitor_evaluation",
    ],
    ("support_tickets", "priority"): ["low", "medium", "high", "urgent"],
    ("features", "feature_tier"): ["basic", "advanced"],
    ("products", "product_line"): [
        "Core Platform",
        "Security Module",
        "Automation Module",
        "Analytics Add-On",
        "Premium Support",
    ],
    ("products", "pricing_model"): ["per_seat", "usage", "flat"],
    ("subscriptions", "status"): ["active", "cancelled", "expired"],
    ("subscriptions", "currency"): ["USD", "EUR", "GBP", "AUD"],
    ("invoices", "status"): ["open", "paid", "void", "uncollectible"],
    ("invoices", "currency"): ["USD", "EUR", "GBP", "AUD"],
    ("fx_rates", "currency"): ["USD", "EUR", "GBP", "AUD"],
}
FKS: list[tuple[str, str, str, str]] = [
    ("accounts", "partner_id", "partners", "partner_id"),
    ("partner_assignments", "account_id", "accounts", "account_id"),
    ("partner_assignments", "partner_id", "partners", "partner_id"),
    ("contacts", "account_id", "accounts", "account_id"),
    ("activities", "account_id", "accounts", "account_id"),
    ("activities", "partner_id", "partners", "partner_id"),
    ("activities", "contact_id", "contacts", "contact_id"),
    ("opportunities", "account_id", "accounts", "account_id"),
    ("opportunities", "partner_id", "partners", "partner_id"),
    ("opportunities", "product_id", "products", "product_id"),
    ("opportunities", "renewal_subscription_id", "subscriptions", "subscription_id"),
    ("milestones", "account_id", "accounts", "account_id"),
    ("renewal_plans", "subscription_id", "subscriptions", "subscription_id"),
    ("business_events", "account_id", "accounts", "account_id"),
    ("firmographics", "account_id", "accounts", "account_id"),
    ("support_tickets", "account_id", "accounts", "account_id"),
    ("nps_responses", "account_id", "accounts", "account_id"),
    ("nps_responses", "contact_id", "contacts", "contact_id"),
    ("features", "product_id", "products", "product_id"),
    ("usage_daily", "account_id", "accounts", "account_id"),
    ("usage_daily", "product_id", "products", "product_id"),
    ("feature_usage_weekly", "account_id", "accounts", "account_id"),
    ("feature_usage_weekly", "feature_id", "features", "feature_id"),
    ("training_enrollments", "account_id", "accounts", "account_id"),
    ("subscriptions", "account_id", "accounts", "account_id"),
    ("subscriptions", "renewed_from_subscription_id", "subscriptions", "subscription_id"),
    ("subscription_items", "subscription_id", "subscriptions", "subscription_id"),
    ("subscription_items", "product_id", "products", "product_id"),
    ("invoices", "subscription_id", "subscriptions", "subscription_id"),
    ("invoices", "account_id", "accounts", "account_id"),
]
DATES = {
    "partners": ["onboarded_date"],
    "accounts": ["created_date"],
    "partner_assignments": ["valid_from", "valid_to"],
    "contacts": ["created_date"],
    "activities": ["activity_date"],
    "opportunities": ["created_date", "close_date"],
    "milestones": ["due_date", "completed_date"],
    "renewal_plans": ["updated_date"],
    "business_events": ["event_date"],
    "firmographics": ["snapshot_date"],
    "nps_responses": ["responded_date"],
    "training_enrollments": ["enrolled_date", "completed_date"],
    "subscriptions": ["start_date", "end_date", "cancelled_date"],
    "subscription_items": ["effective_from", "effective_to"],
    "invoices": ["invoice_date", "due_date", "paid_date"],
    "fx_rates": ["rate_date"],
}
TIMESTAMPS = {"support_tickets": ["opened_at", "closed_at"]}
INTEGERS = {
    "firmographics": ["employee_count", "open_job_postings"],
    "support_tickets": ["csat_score"],
    "nps_responses": ["score"],
    "products": ["edition_rank"],
    "subscription_items": ["quantity"],
}
NUMBERS = {
    "opportunities": ["amount_arr"],
    "products": ["list_price_annual"],
    "subscription_items": ["unit_price_annual", "discount_pct"],
    "invoices": ["amount"],
    "fx_rates": ["usd_per_unit"],
}
BOOLEANS = {"contacts": ["is_executive"], "subscriptions": ["auto_renew"]}
MONEY = {"opportunities": ["amount_arr"], "subscription_items": ["unit_price_annual"], "invoices": ["amount"]}
RANGES = {  # SQL predicates a valid row satisfies (on parseable values)
    "subscription_items": ["discount_pct between 0 and 100", "quantity > 0"],
    "support_tickets": ["csat_score is null or csat_score between 1 and 5"],
    "nps_responses": ["score between 0 and 10"],
    "usage_daily": [
        "active_users >= 0",
        "weekly_active_users >= 0",
        "monthly_active_users >= 0",
        "api_calls >= 0",
        "storage_gb >= 0",
        "active_departments >= 0",
    ],
    "feature_usage_weekly": ["active_users >= 0", "events > 0"],
}
ORDERED = {  # (start, end, strict): end must not be before start (strict: must be after)
    "subscriptions": ("start_date", "end_date", False),
    "partner_assignments": ("valid_from", "valid_to", True),
    "training_enrollments": ("enrolled_date", "completed_date", False),
    "support_tickets": ("opened_at", "closed_at", False),
    "opportunities": ("created_date", "close_date", False),
    "subscription_items": ("effective_from", "effective_to", True),
}
REASONS = (
    "missing_key",
    "duplicate_key",
    "unknown_enum",
    "unparseable_value",
    "negative_amount",
    "out_of_range",
    "orphan_foreign_key",
    "end_before_start",
)


# ------------------------------------------------------------------------------------------------ helpers


def _generate(path: Path, **kwargs: object) -> DemoManifest:
    args: dict[str, object] = {"accounts": 120, "seed": 11, "end": END}
    args.update(kwargs)
    return generate_demo_data(path, **args)  # type: ignore[arg-type]


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _connect(root: Path, typed: bool) -> duckdb.DuckDBPyConnection:
    """Views over the landing files: typed (valid data) or all text + row position (fault checks)."""
    con = duckdb.connect()
    con.execute("set threads = 1")  # keep file order for row positions
    for table in COLUMNS:
        if table in FOLDERS:
            con.execute(
                f"create view {table} as select *, filename as _file, file_row_number as _pos "
                f"from read_parquet('{root / table}/*.parquet', filename = true, file_row_number = true)"
            )
        else:
            fmt = "" if typed else ", all_varchar = true"
            con.execute(
                f"create view {table} as select *, '{table}.csv' as _file, row_number() over () as _pos "
                f"from read_csv('{root / table}.csv', header = true, auto_detect = true{fmt})"
            )
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def _lit(values: list[str]) -> str:
    return ", ".join("'" + v.lower() + "'" for v in values)


def _defect_sql(table: str) -> dict[str, str]:
    """Per reason, a SQL predicate (over the all-text view) that is true when the row has that defect."""
    key = KEYS[table]
    parquet = table in FOLDERS
    text = (lambda c: f"nullif(trim({c}), '')") if not parquet else (lambda c: c)
    num = (lambda c: f"try_cast({c} as double)") if not parquet else (lambda c: c)
    date = (lambda c: f"try_strptime({c}, '%Y-%m-%d')") if not parquet else (lambda c: c)
    ts = lambda c: f"try_strptime({c}, '%Y-%m-%dT%H:%M:%SZ')"  # noqa: E731
    key_present = " and ".join(f"{text(k)} is not null" for k in key)
    out = {
        "missing_key": " or ".join(f"{text(k)} is null" for k in key),
        "duplicate_key": f"({key_present}) and row_number() over (partition by {', '.join(key)} "
        f"order by _file, _pos) > 1",
    }
    enum_checks = [
        f"({text(c)} is not null and lower(trim({c})) not in ({_lit(v)}))" for (t, c), v in ENUMS.items() if t == table
    ]
    out["unknown_enum"] = " or ".join(enum_checks) or "false"
    if not parquet:
        checks = [f"({text(c)} is not null and {date(c)} is null)" for c in DATES.get(table, [])]
        checks += [f"({text(c)} is not null and {ts(c)} is null)" for c in TIMESTAMPS.get(table, [])]
        checks += [f"({text(c)} is not null and try_cast({c} as bigint) is null)" for c in INTEGERS.get(table, [])]
        checks += [f"({text(c)} is not null and {num(c)} is null)" for c in NUMBERS.get(table, [])]
        checks += [f"({text(c)} is not null and lower({c}) not in ('true', 'false'))" for c in BOOLEANS.get(table, [])]
        out["unparseable_value"] = " or ".join(checks) or "false"
    out["negative_amount"] = " or ".join(f"{num(c)} < 0" for c in MONEY.get(table, [])) or "false"
    ranges = RANGES.get(table, [])
    if not parquet:
        casts = {c: f"try_cast({c} as double)" for c in INTEGERS.get(table, []) + NUMBERS.get(table, [])}
        ranges = [_replace_cols(r, casts) for r in ranges]
    out["out_of_range"] = " or ".join(f"not coalesce({r}, true)" for r in ranges) or "false"
    orphans = [
        f"({text(c)} is not null and {c} not in (select {rc} from {rt} where {rc} is not null))"
        for t, c, rt, rc in FKS
        if t == table
    ]
    out["orphan_foreign_key"] = " or ".join(orphans) or "false"
    if table in ORDERED:
        lo, hi, strict = ORDERED[table]
        conv = ts if table in TIMESTAMPS else date
        op = "<=" if strict else "<"
        out["end_before_start"] = f"coalesce({conv(hi)} {op} {conv(lo)}, false)"
    else:
        out["end_before_start"] = "false"
    return out


def _replace_cols(predicate: str, casts: dict[str, str]) -> str:
    for col, expr in casts.items():
        predicate = predicate.replace(col, expr)
    return predicate


def _defective_rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, str]]:
    """(reason, record_key, file) for every defect of every row of `table`."""
    preds = _defect_sql(table)
    keys = ", ".join(f"coalesce(cast({k} as varchar), '')" for k in KEYS[table])
    flags = ", ".join(f"({p}) as {r}" for r, p in preds.items())
    rows = con.execute(
        f"select concat_ws('|', {keys}), _file, {', '.join(preds)} from (select *, {flags} from {table})"
    ).fetchall()
    out = []
    for key, file, *hits in rows:
        rel = file if not file.endswith(".parquet") else f"{table}/{Path(file).name}"
        out += [(reason, key, rel) for reason, hit in zip(preds, hits, strict=True) if hit]
    return out


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest, list[str]]:
    root = tmp_path_factory.mktemp("clean")
    messages: list[str] = []
    manifest = _generate(root, accounts=200, seed=3, progress=messages.append)
    return root, manifest, messages


@pytest.fixture(scope="module")
def db(clean: tuple[Path, DemoManifest, list[str]]) -> duckdb.DuckDBPyConnection:
    return _connect(clean[0], typed=True)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("faulty")
    _generate(root, accounts=90, seed=5, faults=True)
    return root, json.loads((root / "_faults.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------ contract


def test_every_table_has_exactly_the_spec_columns(clean):
    root, manifest, _ = clean
    for table, cols in COLUMNS.items():
        if table in FOLDERS:
            parts = sorted((root / table).glob("part-*.parquet"))
            assert [p.name for p in parts] == [f"part-{i:05d}.parquet" for i in range(len(parts))]
            assert len(parts) >= 2, table  # streamed in chunks
            for part in parts:
                assert [r[0] for r in duckdb.sql(f"describe select * from '{part}'").fetchall()] == cols
        else:
            with open(root / f"{table}.csv", encoding="utf-8", newline="") as f:
                assert next(csv.reader(f)) == cols, table
    assert set(manifest.row_counts) == set(COLUMNS)
    assert manifest.files["usage_daily"][0] == "usage_daily/part-00000.parquet"


def test_parquet_types_and_csv_formats(clean, db):
    root, _, _ = clean
    part = root / "usage_daily" / "part-00000.parquet"
    types = dict(duckdb.sql(f"select column_name, column_type from (describe select * from '{part}')").fetchall())
    assert types == {
        "account_id": "VARCHAR",
        "product_id": "VARCHAR",
        "usage_date": "DATE",
        "active_users": "BIGINT",
        "weekly_active_users": "BIGINT",
        "monthly_active_users": "BIGINT",
        "api_calls": "BIGINT",
        "storage_gb": "DOUBLE",
        "active_departments": "BIGINT",
    }
    text = (root / "support_tickets.csv").read_text(encoding="utf-8").splitlines()
    fields = next(csv.reader([text[1]]))
    assert fields[2].endswith("Z") and "T" in fields[2] and len(fields[2]) == 20
    subs = (root / "subscriptions.csv").read_text(encoding="utf-8").splitlines()[1]
    assert next(csv.reader([subs]))[5] in ("true", "false")
    assert next(csv.reader([subs]))[7] == ""  # null = empty field
    money = [r[0] for r in db.execute("select cast(amount as varchar) from invoices limit 50").fetchall()]
    assert all(len(m.split(".")[-1]) <= 2 for m in money)


def test_manifest_matches_files(clean, db):
    root, manifest, messages = clean
    data = json.loads((root / "_demo_manifest.json").read_text(encoding="utf-8"))
    assert data["generator_version"] == 1 and data["accounts"] == 200 and data["seed"] == 3
    assert data["end"] == "2024-06-30" and data["first_week"] == FIRST_WEEK.isoformat() and data["faults"] is False
    assert manifest.end == END and manifest.first_week == FIRST_WEEK and manifest.path == root
    assert data["row_counts"] == manifest.row_counts and data["files"] == manifest.files
    for table in COLUMNS:
        assert _scalar(db, f"select count(*) from {table}") == manifest.row_counts[table], table
        for rel in manifest.files[table]:
            assert (root / rel).is_file()
    assert not (root / "_faults.json").exists()
    assert any(m.startswith("usage_daily: ") and "chunks" in m for m in messages)
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.seed = 1  # type: ignore[misc]


def test_end_must_be_a_sunday(tmp_path):
    with pytest.raises(ValueError, match="Sunday"):
        generate_demo_data(tmp_path, accounts=30, end=dt.date(2024, 6, 29))
    assert not list(tmp_path.iterdir())


def test_default_end_is_the_last_sunday_before_today():
    from dagster_project.demo.calendar import default_end

    assert default_end(dt.date(2024, 7, 1)) == dt.date(2024, 6, 30)  # Monday
    assert default_end(dt.date(2024, 7, 6)) == dt.date(2024, 6, 30)  # Saturday
    assert default_end(dt.date(2024, 7, 7)) == dt.date(2024, 6, 30)  # Sunday: strictly before
    assert default_end(dt.date(2024, 7, 8)) == dt.date(2024, 7, 7)


# ------------------------------------------------------------------------------------------------ determinism


def test_same_seed_same_bytes_different_seed_different_bytes(tmp_path):
    a = _generate(tmp_path / "a", accounts=70, seed=9, faults=True)
    b = _generate(tmp_path / "b", accounts=70, seed=9, faults=True)
    c = _generate(tmp_path / "c", accounts=70, seed=10, faults=True)
    da, db_, dc = _digests(a.path), _digests(b.path), _digests(c.path)
    assert len(da) == 19 + 2 + len(a.files["usage_daily"]) + len(a.files["feature_usage_weekly"])
    assert da == db_
    assert da.keys() == dc.keys()
    differing = {k for k in da if da[k] != dc[k]}
    assert {"accounts.csv", "subscriptions.csv", "usage_daily/part-00000.parquet"} <= differing


def test_rerun_in_place_replaces_own_files_only(tmp_path):
    landing = tmp_path / "landing"
    _generate(landing, accounts=200, seed=1, faults=True)
    (landing / "notes.txt").write_text("keep me", encoding="utf-8")
    many = len(list((landing / "usage_daily").glob("part-*.parquet")))
    manifest = _generate(landing, accounts=40, seed=1)
    parts = sorted(p.name for p in (landing / "usage_daily").glob("part-*.parquet"))
    assert many > len(parts) == len(manifest.files["usage_daily"])
    assert not (landing / "_faults.json").exists()
    assert (landing / "notes.txt").read_text(encoding="utf-8") == "keep me"
    fresh = _generate(tmp_path / "fresh", accounts=40, seed=1)
    assert {k: v for k, v in _digests(landing).items() if k != "notes.txt"} == _digests(fresh.path)


# ------------------------------------------------------------------------------------------------ integrity


def test_valid_data_has_no_defect_of_any_kind(clean):
    con = _connect(clean[0], typed=False)
    found = [(t, *d) for t in COLUMNS for d in _defective_rows(con, t)]
    assert found == []


def test_keys_unique_and_foreign_keys_resolve(db):
    for table, key in KEYS.items():
        cols = ", ".join(key)
        assert _scalar(db, f"select count(*) - count(distinct ({cols})) from {table}") == 0, table
    for table, col, ref, rcol in FKS:
        orphans = _scalar(
            db, f"select count(*) from {table} where {col} is not null and {col} not in (select {rcol} from {ref})"
        )
        assert orphans == 0, (table, col)


def test_enums_valid_after_case_folding_and_variants_present(db):
    variants = 0
    for (table, col), allowed in ENUMS.items():
        bad = _scalar(
            db, f"select count(*) from {table} where {col} is not null and lower(trim({col})) not in ({_lit(allowed)})"
        )
        assert bad == 0, (table, col)
        variants += _scalar(
            db,
            f"select count(*) from {table} where {col} is not null "
            f"and {col} not in ({', '.join(repr(v) for v in allowed)})",
        )
    assert variants > 0  # some valid rows use case / whitespace variants


def test_subscription_items_lie_within_their_subscription(db):
    outside = _scalar(
        db,
        """
        select count(*) from subscription_items i join subscriptions s using (subscription_id)
        where i.effective_from < s.start_date or i.effective_from > s.end_date
           or (i.effective_to is not null and i.effective_to > s.end_date + 1)""",
    )
    assert outside == 0
    # every subscription has a Core Platform item from its first day
    no_core = _scalar(
        db,
        """
        select count(*) from subscriptions s where not exists (
            select 1 from subscription_items i join products p using (product_id)
            where i.subscription_id = s.subscription_id and p.product_line = 'Core Platform'
              and i.effective_from = s.start_date)""",
    )
    assert no_core == 0


def test_renewal_chains_are_consistent(db):
    rows = db.execute("""
        select n.start_date - p.end_date as gap, n.account_id = p.account_id, p.status, p.currency = n.currency
        from subscriptions n join subscriptions p on n.renewed_from_subscription_id = p.subscription_id""").fetchall()
    assert len(rows) > 50
    assert all(same_acc and same_cur and status == "expired" for _, same_acc, status, same_cur in rows)
    gaps = [g for g, *_ in rows]
    assert min(gaps) == 1  # the day after end_date
    assert sum(g == 1 for g in gaps) / len(gaps) > 0.7
    assert any(1 < g <= 26 for g in gaps)
    assert (
        _scalar(
            db,
            "select count(*) from (select renewed_from_subscription_id r from subscriptions "
            "where r is not null group by r having count(*) > 1)",
        )
        == 0
    )
    # statuses consistent with END
    assert (
        _scalar(
            db,
            f"""select count(*) from subscriptions where start_date > DATE '{END}'
        or (status = 'active' and (end_date < DATE '{END}' or cancelled_date is not null))
        or (status = 'expired' and end_date >= DATE '{END}')
        or ((status = 'cancelled') <> (cancelled_date is not null))""",
        )
        == 0
    )


def test_opportunities_are_well_formed(db):
    assert (
        _scalar(db, "select count(*) from opportunities where lower(trim(stage)) like 'closed%' and close_date is null")
        == 0
    )
    assert (
        _scalar(
            db,
            "select count(*) from opportunities where lower(trim(stage)) not like 'closed%' and close_date is not null",
        )
        == 0
    )
    assert _scalar(db, "select count(*) from opportunities where close_date < created_date") == 0
    assert _scalar(db, "select count(*) from opportunities where amount_arr < 0") == 0
    assert _scalar(db, "select count(*) from opportunities where (partner_id is null) <> (partner_role is null)") == 0
    # one Closed Won New Business per customer's first subscription; renewals point at the renewed subscription
    assert (
        _scalar(
            db,
            """select count(*) from (select account_id from subscriptions
        where renewed_from_subscription_id is null group by 1) s where (select count(*) from opportunities o
        where o.account_id = s.account_id and o.opportunity_type = 'New Business'
        and lower(trim(o.stage)) = 'closed won') <> 1""",
        )
        == 0
    )
    assert (
        _scalar(
            db,
            """select count(*) from opportunities o join subscriptions s
        on o.renewal_subscription_id = s.subscription_id
        where o.opportunity_type <> 'Renewal' or o.account_id <> s.account_id""",
        )
        == 0
    )
    assert (
        _scalar(
            db,
            """select count(*) from subscriptions n where renewed_from_subscription_id is not null
        and not exists (select 1 from opportunities o where o.renewal_subscription_id = n.renewed_from_subscription_id
        and lower(trim(o.stage)) = 'closed won')""",
        )
        == 0
    )
    early = _scalar(
        db,
        """select avg((s.end_date - o.close_date >= 90)::int) from opportunities o
        join subscriptions s on o.renewal_subscription_id = s.subscription_id
        where lower(trim(o.stage)) = 'closed won'""",
    )
    assert 0.1 < early < 0.6
    open_stages = {
        r[0]
        for r in db.execute(
            "select distinct trim(stage) from opportunities where close_date is null "
            "and opportunity_type in ('Upsell', 'Cross-sell', 'License Expansion')"
        ).fetchall()
    }
    assert open_stages and open_stages <= {"Qualification", "Discovery", "Validation", "Proposal", "Negotiation"}
    roles = dict(
        db.execute(
            "select partner_role, count(*) from opportunities where partner_role is not null group by 1"
        ).fetchall()
    )
    assert 0.5 < roles["sourced"] / (roles["sourced"] + roles["influenced"]) < 0.7


def test_usage_rows_respect_holdings_and_user_ordering(db):
    assert (
        _scalar(
            db,
            "select count(*) from usage_daily where not (active_users <= weekly_active_users "
            "and weekly_active_users <= monthly_active_users and active_departments between 1 and 10)",
        )
        == 0
    )
    # a row only on days the account holds the product; never more monthly users than seats
    rows = db.execute("""
        with held as (select s.account_id, i.product_id, i.quantity, i.effective_from as f,
            least(coalesce(i.effective_to, s.end_date + 1), s.end_date + 1,
                  coalesce(s.cancelled_date, s.end_date + 1)) as t
            from subscription_items i join subscriptions s using (subscription_id))
        select count(*) filter (where h.account_id is null),
               count(*) filter (where p.pricing_model = 'per_seat' and u.monthly_active_users > h.quantity),
               count(*) filter (where p.pricing_model = 'flat')
        from usage_daily u join products p using (product_id)
        left join held h on h.account_id = u.account_id and h.product_id = u.product_id
            and u.usage_date >= h.f and u.usage_date < h.t""").fetchone()
    assert rows == (0, 0, 0)
    span = db.execute(
        "select min(usage_date), max(usage_date), avg((dayofweek(usage_date) in (0, 6))::int) from usage_daily"
    ).fetchone()
    assert span[0] >= FIRST_WEEK and span[1] <= END and span[2] < 0.15  # mostly weekdays
    assert _scalar(db, "select count(*) from feature_usage_weekly where events <= 0 or dayofweek(week_start) <> 1") == 0


def test_fx_rates_cover_the_history_and_move(db):
    first_start = _scalar(db, "select min(start_date) from subscriptions")
    rows = db.execute(
        "select currency, min(rate_date), max(rate_date), max(usd_per_unit) / min(usd_per_unit) "
        "from fx_rates group by 1 order by 1"
    ).fetchall()
    assert [r[0] for r in rows] == ["AUD", "EUR", "GBP"]
    for _, lo, hi, spread in rows:
        assert lo <= first_start and hi >= END - dt.timedelta(days=2) and spread > 1.05


# ------------------------------------------------------------------------------------------------ dynamics


def test_population_mix(db):
    direct = _scalar(db, "select avg((partner_id is null)::double) from accounts")
    assert 0.18 < direct < 0.32
    assert _scalar(db, "select count(distinct currency) from subscriptions") == 4
    assert _scalar(db, "select count(distinct lower(trim(partner_type))) from partners") == 7
    tiers = dict(db.execute("select partner_tier, count(*) from partners group by 1").fetchall())
    assert set(tiers) == {"Platinum", "Gold", "Silver", "Registered"}
    assert tiers["Silver"] > tiers["Platinum"]
    segments = dict(db.execute("select lower(trim(segment)), count(*) from accounts group by 1").fetchall())
    assert segments["smb"] > segments["mid-market"] > segments["enterprise"] > 0
    assert _scalar(db, "select count(*) from partners") == 12  # max(12, accounts / 40)
    assert _scalar(db, "select count(distinct event_type) from business_events") == 9
    terms = {
        r[0]
        for r in db.execute("select distinct date_diff('year', start_date, end_date + 1) from subscriptions").fetchall()
    }
    assert terms == {1, 2, 3}
    created = db.execute("select min(created_date), max(created_date) from accounts").fetchone()
    assert created[0] < FIRST_WEEK - dt.timedelta(days=700) and created[1] > END - dt.timedelta(days=90)
    contacts = db.execute(
        "select min(n), max(n), avg(x) from (select account_id, count(*) n, "
        "avg(is_executive::int) x from contacts group by 1)"
    ).fetchone()
    assert contacts[0] >= 1 and contacts[1] <= 20 and 0.08 < contacts[2] < 0.25


def test_partner_of_record_history(db):
    changed = db.execute("""select a.account_id, a.partner_id, p.partner_id, p.valid_from
        from partner_assignments p join accounts a using (account_id) where p.valid_to is not null""").fetchall()
    assert changed  # some accounts changed partner
    # the closed assignment is followed by an open one from its valid_to, for the account's current partner
    assert (
        _scalar(
            db,
            """select count(*) from partner_assignments c where c.valid_to is not null and not exists (
        select 1 from partner_assignments n join accounts a using (account_id) where n.account_id = c.account_id
        and n.valid_from = c.valid_to and n.valid_to is null and n.partner_id = a.partner_id
        and n.partner_id <> c.partner_id)""",
        )
        == 0
    )
    # every partner-attached account has an open assignment to its current partner; partners onboarded before
    assert (
        _scalar(
            db,
            """select count(*) from accounts a where a.partner_id is not null and not exists (
        select 1 from partner_assignments p where p.account_id = a.account_id and p.partner_id = a.partner_id
        and p.valid_to is null)""",
        )
        == 0
    )
    assert (
        _scalar(
            db,
            "select count(*) from partner_assignments p join partners using (partner_id) "
            "where onboarded_date > valid_from",
        )
        == 0
    )
    gained = _scalar(
        db,
        """select count(*) from accounts a join partner_assignments p using (account_id)
        where p.valid_from > a.created_date and (select count(*) from partner_assignments q
        where q.account_id = a.account_id) = 1""",
    )
    assert gained >= 1  # a direct account gained a partner during the window


def test_mid_term_item_changes(db):
    rows = db.execute("""
        select o.product_id <> n.product_id as edition_change, n.quantity > o.quantity as more
        from subscription_items o join subscription_items n
          on n.subscription_id = o.subscription_id and n.effective_from = o.effective_to
        join products po on po.product_id = o.product_id join products pn on pn.product_id = n.product_id
        where po.product_line = pn.product_line""").fetchall()
    assert any(more for _, more in rows)  # license expansion
    assert any(edition for edition, _ in rows)  # edition upgrade
    assert (
        _scalar(
            db,
            """select count(*) from subscription_items o join subscription_items n
        on n.subscription_id = o.subscription_id and n.effective_from = o.effective_to
        join products po on po.product_id = o.product_id join products pn on pn.product_id = n.product_id
        where po.product_line = pn.product_line and pn.edition_rank < po.edition_rank""",
        )
        == 0
    )
    cross = _scalar(
        db,
        """select count(*) from subscription_items i join subscriptions s using (subscription_id)
        where i.effective_from > s.start_date and i.effective_to is null and not exists (
          select 1 from subscription_items o where o.subscription_id = i.subscription_id
          and o.effective_to = i.effective_from)""",
    )
    assert cross > 0  # cross-sell added mid-term, co-terminous
    won = _scalar(
        db,
        """select count(*) from opportunities where lower(trim(stage)) = 'closed won'
        and opportunity_type in ('Upsell', 'Cross-sell', 'License Expansion')""",
    )
    assert won > 10


def test_churned_accounts_were_less_healthy_than_renewed_ones(db):
    """Outcomes and health proxies read from the files: utilisation, NPS and tickets before the end date."""
    db.execute(f"""create or replace temp table outcome as
        select s.subscription_id, s.account_id, s.end_date, exists (select 1 from subscriptions n
            where n.account_id = s.account_id and n.start_date between s.end_date + 1 and s.end_date + 30) renewed
        from subscriptions s where s.cancelled_date is null and s.end_date between DATE '{FIRST_WEEK}' + 90
            and DATE '{END}' - 31""")
    usage = {
        r[0]: r[1:]
        for r in db.execute("""
        select o.renewed, avg(u.monthly_active_users / i.quantity), avg((u.api_calls > 0)::int)
        from outcome o join subscription_items i on i.subscription_id = o.subscription_id
        join products p using (product_id)
        join usage_daily u on u.account_id = o.account_id and u.product_id = i.product_id
        where p.product_line = 'Core Platform' and i.effective_to is null
          and u.usage_date between o.end_date - 60 and o.end_date group by 1""").fetchall()
    }
    nps = dict(
        db.execute("""select o.renewed, avg(n.score) from outcome o join nps_responses n
        on n.account_id = o.account_id and n.responded_date between o.end_date - 180 and o.end_date
        group by 1""").fetchall()
    )
    counts = dict(db.execute("select renewed, count(*) from outcome group by 1").fetchall())
    assert counts[True] > 40 and counts[False] >= 5
    assert usage[False][0] < usage[True][0] - 0.02  # seat utilisation
    assert usage[False][1] < usage[True][1] - 0.1  # share of days with API calls
    assert nps[False] < nps[True] - 0.5


def test_expansions_follow_health_and_validation(db):
    rows = dict(
        db.execute("""
        select exists (select 1 from activities a where a.account_id = o.account_id
                and a.activity_type in ('pilot', 'proof_of_concept', 'architecture_workshop')
                and a.activity_date between o.created_date and o.close_date) validated,
               avg((lower(trim(o.stage)) = 'closed won')::int)
        from opportunities o where o.opportunity_type in ('Upsell', 'Cross-sell', 'License Expansion')
          and lower(trim(o.stage)) like 'closed%' group by 1""").fetchall()
    )
    assert rows[True] > rows[False]


def test_support_training_and_plans_have_open_and_closed_states(db):
    share = _scalar(db, "select avg((csat_score is not null)::int) from support_tickets where closed_at is not null")
    assert 0.4 < share < 0.6
    assert _scalar(db, "select count(*) from support_tickets where closed_at is null") > 0
    assert _scalar(db, "select count(*) from training_enrollments where completed_date is null") > 0
    statuses = [r[0] for r in db.execute("select distinct status from renewal_plans order by 1").fetchall()]
    assert statuses == ["complete", "in_progress", "missing"]


# ------------------------------------------------------------------------------------------------ faults


def test_fault_manifest_is_consistent(faulty):
    _, spec = faulty
    rows = spec["rows"]
    assert spec["total"] == len(rows)
    by_table: dict[str, dict[str, int]] = {}
    for r in rows:
        assert r["reason_code"] in REASONS
        by_table.setdefault(r["table"], {}).setdefault(r["reason_code"], 0)
        by_table[r["table"]][r["reason_code"]] += 1
    assert by_table == spec["by_table"]
    for reason in REASONS:
        assert sum(c.get(reason, 0) for c in by_table.values()) >= 3, reason
    assert len(by_table) >= 8 and "usage_daily" in by_table


def test_every_defect_in_the_files_is_exactly_one_listed_fault(faulty):
    root, spec = faulty
    con = _connect(root, typed=False)
    found = sorted((t, *d) for t in COLUMNS for d in _defective_rows(con, t))
    listed = sorted((r["table"], r["reason_code"], r["record_key"], r["file"]) for r in spec["rows"])
    assert found == listed  # each fault row has exactly its one defect, and valid rows have none
    # faults are added rows: row counts grew by exactly the number listed
    manifest = json.loads((root / "_demo_manifest.json").read_text(encoding="utf-8"))
    clean_counts = _generate(root.parent / "faulty-clean", accounts=90, seed=5).row_counts
    for table, n in manifest["row_counts"].items():
        assert n - clean_counts[table] == sum(spec["by_table"].get(table, {}).values()), table


def test_missing_and_duplicate_keys_are_where_the_manifest_says(faulty):
    root, spec = faulty
    con = _connect(root, typed=False)
    for r in spec["rows"]:
        table, key_cols = r["table"], KEYS[r["table"]]
        if r["reason_code"] == "missing_key":
            assert any(part == "" for part in r["record_key"].split("|"))
            cond = " or ".join(f"{c} is null" for c in key_cols)
            assert _scalar(con, f"select count(*) from {table} where {cond}") >= 1
        if r["reason_code"] == "duplicate_key":
            values = r["record_key"].split("|")
            cond = " and ".join(f"cast({c} as varchar) = '{v}'" for c, v in zip(key_cols, values, strict=True))
            hits = con.execute(f"select _file, _pos from {table} where {cond} order by _file, _pos").fetchall()
            assert len(hits) == 2, r
            assert hits[1][0] == r["file"] or hits[1][0].endswith(r["file"].split("/")[-1])
    usage_files = {r["file"] for r in spec["rows"] if r["table"] == "usage_daily"}
    last = sorted((root / "usage_daily").glob("part-*.parquet"))[-1].name
    assert usage_files == {f"usage_daily/{last}"}
