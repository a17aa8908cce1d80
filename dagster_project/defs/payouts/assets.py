"""The finance files asset: exports/payouts/<YYYY-MM>/ for every payout period of the published ledger."""

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.payouts.ledger import export_payouts
from dagster_project.defs.publish.assets import PUBLISH_KEY

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
    def finance_payout_files(
        context: AssetExecutionContext, partnerpulse: PartnerPulseConfig, warehouse_lock: WarehouseLock
    ):  # warehouse_lock: a close-period writes the same folders
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
