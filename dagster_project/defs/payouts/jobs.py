"""The close-period job: closing a payout period (`partnerpulse close-period`; the weekly refresh job is
in defs/operations/jobs.py)."""

import dagster as dg

from dagster_project.defs.operations.resources import PartnerPulseConfig, WarehouseLock
from dagster_project.defs.payouts.ledger import LedgerError, close_period, parse_period

CLOSE_PERIOD_JOB = "close_payout_period"


class ClosePeriodConfig(dg.Config):
    period: str  # YYYY-MM


@dg.op(description="Freeze a payout period's published lines in the ledger and write its final finance files.")
def close_payout_period_op(
    context: dg.OpExecutionContext,
    config: ClosePeriodConfig,
    partnerpulse: PartnerPulseConfig,
    warehouse_lock: WarehouseLock,  # held for the whole run: closing writes the ledger in the working warehouse
) -> dg.Output[str]:
    messages: list[str] = []

    def log(message: str) -> None:
        messages.append(message)
        context.log.info(message)

    try:
        result = close_period(partnerpulse.settings(), parse_period(config.period), log=log)
    except LedgerError as exc:
        raise dg.Failure(description=str(exc)) from exc
    return dg.Output(
        "\n".join(messages),
        metadata={
            "period": config.period,
            "already_closed": result.already_closed,
            "lines": result.lines,
            "total_usd": str(result.total_usd),
            "files": dg.MetadataValue.path(result.export_directory),
        },
    )


@dg.job(name=CLOSE_PERIOD_JOB, executor_def=dg.in_process_executor, description="Close a payout period (YYYY-MM).")
def close_payout_period_job():
    close_payout_period_op()
