"""Helpers to write small landing datasets by hand, the way a new user would (CSV files)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from dagster_project.defs.landing.contract import landing_tables, table_spec


def write_table(
    landing: Path, table: str, rows: Iterable[Mapping[str, object] | Iterable[object]], columns: list[str] | None = None
) -> Path:
    """Write ``<table>.csv`` with the contract's columns (or ``columns``); rows as dicts or tuples."""
    columns = columns or list(table_spec(table).column_names)
    path = landing / f"{table}.csv"
    landing.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            if isinstance(row, Mapping):
                writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
            else:
                writer.writerow(["" if v is None else v for v in row])
    return path


# A tiny but complete, valid landing dataset: 2 partners, 3 accounts (one direct), 2 currencies.
MINIMAL: dict[str, list[tuple]] = {
    "partners": [
        ("P1", "Northwind MSP", "MSP", "Gold", "NA", "2023-01-02"),
        ("P2", "Contoso Resell", "Reseller", "Silver", "EMEA", "2023-01-02"),
    ],
    "accounts": [
        ("A1", "Alpha Corp", "P1", "SMB", "Software", "NA", "US", "2023-06-01"),
        ("A2", "Beta GmbH", "P2", "Mid-Market", "Retail", "EMEA", "DE", "2023-07-01"),
        ("A3", "Gamma Inc", None, "Enterprise", "Finance", "NA", "US", "2023-08-01"),
    ],
    "partner_assignments": [
        ("A1", "P1", "2023-06-01", None),
        ("A2", "P2", "2023-07-01", None),
    ],
    "contacts": [
        ("C1", "A1", "CEO", "true", "2023-06-01"),
        ("C2", "A1", "Engineer", "false", "2023-06-01"),
        ("C3", "A2", "CIO", "true", "2023-07-01"),
    ],
    "activities": [
        ("ACT1", "A1", "P1", "C1", "executive_meeting", "2024-01-15"),
        ("ACT2", "A2", None, "C3", "qbr", "2024-02-01"),
    ],
    "opportunities": [
        (
            "O1",
            "A1",
            "P1",
            "sourced",
            "New Business",
            "PR-CORE-1",
            "Closed Won",
            "12000.00",
            "USD",
            "inbound",
            "2023-05-01",
            "2023-06-01",
            None,
        ),
        (
            "O2",
            "A2",
            "P2",
            "influenced",
            "Upsell",
            "PR-SEC-1",
            "Proposal",
            "5000.00",
            "EUR",
            "usage_threshold",
            "2024-01-10",
            None,
            None,
        ),
    ],
    "milestones": [("M1", "A1", "onboarding", "Kickoff", "2023-07-01", "2023-06-20")],
    "renewal_plans": [("RP1", "S1", "in_progress", "2024-02-01")],
    "business_events": [("E1", "A2", "funding_round", "2024-01-20", "Series B")],
    "firmographics": [("A1", "2024-01-01", "120", "4"), ("A2", "2024-01-01", "800", "25")],
    "support_tickets": [("T1", "A1", "2024-01-03T09:00:00Z", "2024-01-04T10:30:00Z", "medium", "5")],
    "nps_responses": [("N1", "A1", "C1", "2024-01-10", "9")],
    "features": [("F1", "PR-CORE-1", "Dashboards", "basic"), ("F2", "PR-CORE-1", "Workflows", "advanced")],
    "usage_daily": [
        ("A1", "PR-CORE-1", "2024-02-01", "8", "12", "15", "40", "2.5", "2"),
        ("A2", "PR-CORE-1", "2024-02-01", "30", "45", "60", "0", "10.0", "4"),
    ],
    "feature_usage_weekly": [("A1", "F1", "2024-01-29", "5", "40"), ("A1", "F2", "2024-01-29", "2", "7")],
    "training_enrollments": [("TE1", "A1", "COURSE-101", "2024-01-05", "2024-01-19")],
    "products": [
        ("PR-CORE-1", "Core Standard", "Core Platform", "1", "per_seat", "600.00"),
        ("PR-SEC-1", "Security Standard", "Security Module", "1", "per_seat", "240.00"),
        ("PR-SUP", "Premium Support", "Premium Support", "1", "flat", "5000.00"),
    ],
    "subscriptions": [
        ("S1", "A1", "USD", "2023-06-01", "2024-05-31", "true", "active", None, None),
        ("S2", "A2", "EUR", "2023-07-01", "2025-06-30", "false", "active", None, None),
        ("S3", "A3", "USD", "2023-08-01", "2024-07-31", "true", "active", None, None),
    ],
    "subscription_items": [
        ("I1", "S1", "PR-CORE-1", "20", "600.00", "0", "2023-06-01", None),
        ("I2", "S2", "PR-CORE-1", "50", "550.00", "10", "2023-07-01", None),
        ("I3", "S3", "PR-SUP", "1", "5000.00", None, "2023-08-01", None),
    ],
    "invoices": [("INV1", "S1", "A1", "2023-06-01", "2023-07-01", "12000.00", "USD", "2023-06-20", "paid")],
    "fx_rates": [("EUR", "2023-01-01", "1.08"), ("EUR", "2024-01-01", "1.10")],
}


def write_minimal_landing(landing: Path, overrides: Mapping[str, list] | None = None, skip: Iterable[str] = ()) -> Path:
    """Write the MINIMAL dataset (with per-table overrides; ``skip`` leaves tables out)."""
    tables = {**MINIMAL, **(overrides or {})}
    skipped = set(skip)
    for spec in landing_tables():
        if spec.name not in skipped:
            write_table(landing, spec.name, tables.get(spec.name, []))
    return landing
