"""The landing-file contract (SPEC §2): table columns in order, their kinds, and enumerations."""

from __future__ import annotations

from typing import Literal

Kind = Literal["str", "date", "ts", "int", "float", "money", "bool"]

TABLES: dict[str, tuple[tuple[str, Kind], ...]] = {
    "partners": (
        ("partner_id", "str"),
        ("partner_name", "str"),
        ("partner_type", "str"),
        ("partner_tier", "str"),
        ("region", "str"),
        ("onboarded_date", "date"),
    ),
    "accounts": (
        ("account_id", "str"),
        ("account_name", "str"),
        ("partner_id", "str"),
        ("segment", "str"),
        ("industry", "str"),
        ("region", "str"),
        ("country", "str"),
        ("created_date", "date"),
    ),
    "partner_assignments": (
        ("account_id", "str"),
        ("partner_id", "str"),
        ("valid_from", "date"),
        ("valid_to", "date"),
    ),
    "contacts": (
        ("contact_id", "str"),
        ("account_id", "str"),
        ("title", "str"),
        ("is_executive", "bool"),
        ("created_date", "date"),
    ),
    "activities": (
        ("activity_id", "str"),
        ("account_id", "str"),
        ("partner_id", "str"),
        ("contact_id", "str"),
        ("activity_type", "str"),
        ("activity_date", "date"),
    ),
    "opportunities": (
        ("opportunity_id", "str"),
        ("account_id", "str"),
        ("partner_id", "str"),
        ("partner_role", "str"),
        ("opportunity_type", "str"),
        ("product_id", "str"),
        ("stage", "str"),
        ("amount_arr", "money"),
        ("currency", "str"),
        ("trigger_type", "str"),
        ("created_date", "date"),
        ("close_date", "date"),
        ("renewal_subscription_id", "str"),
    ),
    "milestones": (
        ("milestone_id", "str"),
        ("account_id", "str"),
        ("milestone_type", "str"),
        ("milestone_name", "str"),
        ("due_date", "date"),
        ("completed_date", "date"),
    ),
    "renewal_plans": (
        ("renewal_plan_id", "str"),
        ("subscription_id", "str"),
        ("status", "str"),
        ("updated_date", "date"),
    ),
    "business_events": (
        ("event_id", "str"),
        ("account_id", "str"),
        ("event_type", "str"),
        ("event_date", "date"),
        ("description", "str"),
    ),
    "firmographics": (
        ("account_id", "str"),
        ("snapshot_date", "date"),
        ("employee_count", "int"),
        ("open_job_postings", "int"),
    ),
    "support_tickets": (
        ("ticket_id", "str"),
        ("account_id", "str"),
        ("opened_at", "ts"),
        ("closed_at", "ts"),
        ("priority", "str"),
        ("csat_score", "int"),
    ),
    "nps_responses": (
        ("response_id", "str"),
        ("account_id", "str"),
        ("contact_id", "str"),
        ("responded_date", "date"),
        ("score", "int"),
    ),
    "features": (
        ("feature_id", "str"),
        ("product_id", "str"),
        ("feature_name", "str"),
        ("feature_tier", "str"),
    ),
    "usage_daily": (
        ("account_id", "str"),
        ("product_id", "str"),
        ("usage_date", "date"),
        ("active_users", "int"),
        ("weekly_active_users", "int"),
        ("monthly_active_users", "int"),
        ("api_calls", "int"),
        ("storage_gb", "float"),
        ("active_departments", "int"),
    ),
    "feature_usage_weekly": (
        ("account_id", "str"),
        ("feature_id", "str"),
        ("week_start", "date"),
        ("active_users", "int"),
        ("events", "int"),
    ),
    "training_enrollments": (
        ("enrollment_id", "str"),
        ("account_id", "str"),
        ("course_id", "str"),
        ("enrolled_date", "date"),
        ("completed_date", "date"),
    ),
    "products": (
        ("product_id", "str"),
        ("product_name", "str"),
        ("product_line", "str"),
        ("edition_rank", "int"),
        ("pricing_model", "str"),
        ("list_price_annual", "money"),
    ),
    "subscriptions": (
        ("subscription_id", "str"),
        ("account_id", "str"),
        ("currency", "str"),
        ("start_date", "date"),
        ("end_date", "date"),
        ("auto_renew", "bool"),
        ("status", "str"),
        ("cancelled_date", "date"),
        ("renewed_from_subscription_id", "str"),
    ),
    "subscription_items": (
        ("item_id", "str"),
        ("subscription_id", "str"),
        ("product_id", "str"),
        ("quantity", "int"),
        ("unit_price_annual", "money"),
        ("discount_pct", "float"),
        ("effective_from", "date"),
        ("effective_to", "date"),
    ),
    "invoices": (
        ("invoice_id", "str"),
        ("subscription_id", "str"),
        ("account_id", "str"),
        ("invoice_date", "date"),
        ("due_date", "date"),
        ("amount", "money"),
        ("currency", "str"),
        ("paid_date", "date"),
        ("status", "str"),
    ),
    "fx_rates": (("currency", "str"), ("rate_date", "date"), ("usd_per_unit", "float")),
}

PARQUET_TABLES: tuple[str, ...] = ("usage_daily", "feature_usage_weekly")

# Primary keys (partner_assignments has none in SPEC §2: the pipeline and the fault list use account_id|valid_from).
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "partners": ("partner_id",),
    "accounts": ("account_id",),
    "partner_assignments": ("account_id", "valid_from"),
    "contacts": ("contact_id",),
    "activities": ("activity_id",),
    "opportunities": ("opportunity_id",),
    "milestones": ("milestone_id",),
    "renewal_plans": ("renewal_plan_id",),
    "business_events": ("event_id",),
    "firmographics": ("account_id", "snapshot_date"),
    "support_tickets": ("ticket_id",),
    "nps_responses": ("response_id",),
    "features": ("feature_id",),
    "usage_daily": ("account_id", "product_id", "usage_date"),
    "feature_usage_weekly": ("account_id", "feature_id", "week_start"),
    "training_enrollments": ("enrollment_id",),
    "products": ("product_id",),
    "subscriptions": ("subscription_id",),
    "subscription_items": ("item_id",),
    "invoices": ("invoice_id",),
    "fx_rates": ("currency", "rate_date"),
}

PARTNER_TYPES = ("MSP", "Reseller", "Distributor", "GSI", "SI", "Technology Alliance", "Marketplace")
PARTNER_TIERS = ("Platinum", "Gold", "Silver", "Registered")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
CURRENCIES = ("USD", "EUR", "GBP", "AUD")
ACTIVITY_TYPES = (
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
)
PARTNER_ROLES = ("sourced", "influenced")
OPPORTUNITY_TYPES = ("New Business", "Renewal", "Upsell", "Cross-sell", "License Expansion")
STAGES = ("Qualification", "Discovery", "Validation", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
TRIGGER_TYPES = ("usage_threshold", "business_event", "organizational_change", "renewal", "inbound", "other")
MILESTONE_TYPES = ("onboarding", "success_plan_checkpoint", "roi_documented")
PLAN_STATUSES = ("missing", "in_progress", "complete")
EVENT_TYPES = (
    "funding_round",
    "revenue_growth_announcement",
    "merger_acquisition",
    "reorganization",
    "compliance_mandate",
    "product_launch",
    "it_modernization",
    "geographic_expansion",
    "competitor_evaluation",
)
PRIORITIES = ("low", "medium", "high", "urgent")
FEATURE_TIERS = ("basic", "advanced")
PRODUCT_LINES = ("Core Platform", "Security Module", "Automation Module", "Analytics Add-On", "Premium Support")
PRICING_MODELS = ("per_seat", "usage", "flat")
SUBSCRIPTION_STATUSES = ("active", "cancelled", "expired")
INVOICE_STATUSES = ("open", "paid", "void", "uncollectible")
