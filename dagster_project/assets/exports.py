"""Export assets: finance payout files, partner data feeds and the executive page, from the published marts."""

import json
import os
import shutil
import uuid
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource

from dagster_project.assets.publish import PUBLISH_KEY
from dagster_project.exports.partner_feeds import FeedError, write_partner_feeds
from dagster_project.ledger import export_payouts
from dagster_project.partitions import window_from_context
from dagster_project.reports.executive import write_executive_page
from dagster_project.resources import PartnerPulseConfig

FINANCE_EXPORTS_KEY = dg.AssetKey(["exports", "payouts"])


def build_finance_exports_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=FINANCE_EXPORTS_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="exports",
        kinds={"csv", "parquet"},
        description=(
            "exports/payouts/<YYYY-MM>/: payout_lines and partner_statements (CSV + Parquet) and a "
            "manifest for every payout period of the published ledger; open periods are rewritten, "
            "closed ones are final and never rewritten."
        ),
    )
    def finance_payout_files(context: AssetExecutionContext, partnerpulse: PartnerPulseConfig):
        exports = export_payouts(partnerpulse.settings(), log=context.log.info)
        return dg.MaterializeResult(
            metadata={
                "periods": dg.MetadataValue.int(len(exports)),
                "final_periods": dg.MetadataValue.int(sum(1 for e in exports if e.status == "final")),
                "latest_period": dg.MetadataValue.text(
                    exports[-1].directory.name if exports else "(no payout lines yet)"
                ),
            }
        )

    return finance_payout_files


PARTNER_FEEDS_KEY = dg.AssetKey(["exports", "partner_feeds"])


def build_partner_feeds_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=PARTNER_FEEDS_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="exports",
        kinds={"csv", "parquet"},
        description=(
            "exports/partners/<folder>/: usage, expansion alerts, renewal timelines, health and "
            "competitive alerts of the partner's own accounts only (SPEC §7.6), CSV + Parquet. The folder "
            "is a safe name encoded from the partner id (a slug plus a hash, never the id itself); "
            "exports/partners/index.csv (and index.parquet) maps every partner id to its folder."
        ),
    )
    def partner_data_feeds(context: AssetExecutionContext, partnerpulse: PartnerPulseConfig):
        settings = partnerpulse.settings()
        try:
            result = write_partner_feeds(
                settings.published_duckdb, settings.exports_dir / "partners", log=context.log.info
            )
        except FeedError as exc:
            raise dg.Failure(description=str(exc)) from exc
        return dg.MaterializeResult(
            metadata={
                "partners": dg.MetadataValue.int(result.partners),
                "rows": dg.MetadataValue.json(result.rows),
                "path": dg.MetadataValue.path(str(result.directory)),
            }
        )

    return partner_data_feeds


EXECUTIVE_PAGE_KEY = dg.AssetKey(["reports", "executive_page"])


def build_executive_page_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=EXECUTIVE_PAGE_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="exports",
        kinds={"html"},
        description=(
            "reports/executive-<week>.html: the weekly executive page (SPEC §7.4), one self-contained "
            "file with inline SVG charts, from the published marts."
        ),
    )
    def executive_page(context: AssetExecutionContext, partnerpulse: PartnerPulseConfig):
        settings = partnerpulse.settings()
        page = write_executive_page(settings.published_duckdb, settings.reports_dir)
        context.log.info(f"executive page {page.path} written in {page.seconds:.2f}s")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(page.path)),
                "week_start": dg.MetadataValue.text(page.week_start.isoformat()),
                "seconds": dg.MetadataValue.float(round(page.seconds, 3)),
            }
        )

    return executive_page


DOCS_KEY = dg.AssetKey(["published", "docs"])


def build_docs_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=DOCS_KEY,
        deps=[PUBLISH_KEY],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name="publish",
        kinds={"dbt", "html"},
        description=(
            "published/docs/index.html: dbt docs for BI users (every model, column, test, lineage and "
            "the exposures), one static file with the manifest and catalog inlined."
        ),
    )
    def dbt_docs_site(context: AssetExecutionContext, dbt: DbtCliResource, partnerpulse: PartnerPulseConfig):
        settings = partnerpulse.settings()
        if os.environ.get("PARTNERPULSE_PUBLISH_DOCS", "1").strip().lower() in {"0", "false", "no"}:
            context.log.info("PARTNERPULSE_PUBLISH_DOCS is off: dbt docs not regenerated")
            return dg.MaterializeResult(metadata={"skipped": True})
        window = window_from_context(context)
        target = settings.warehouse_dir / "dbt_runs" / f"docs-{context.run_id[:8]}"
        dbt_vars = {**window.dbt_vars(), "first_week": settings.first_week.isoformat()}
        dbt.cli(["docs", "generate", "--static", "--vars", json.dumps(dbt_vars)], target_path=target).wait()
        site = publish_docs(target, settings.published_dir / "docs")
        shutil.rmtree(target, ignore_errors=True)
        return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(site))})

    return dbt_docs_site


def publish_docs(target: Path, destination: Path) -> Path:
    """Swap in a new docs folder: the static page plus manifest and catalog for tools that read them."""
    staging = destination.with_name(f".docs-{uuid.uuid4().hex}")
    staging.mkdir(parents=True)
    shutil.copyfile(target / "static_index.html", staging / "index.html")
    for name in ("manifest.json", "catalog.json"):
        shutil.copyfile(target / name, staging / name)
    retired = destination.with_name(f".docs-old-{uuid.uuid4().hex}")
    if destination.exists():
        os.replace(destination, retired)
    os.replace(staging, destination)
    shutil.rmtree(retired, ignore_errors=True)
    return destination / "index.html"
