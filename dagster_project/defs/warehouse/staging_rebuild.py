"""Which incremental staging models a build makes whole because the project changed (decisions 103, 128).

An incremental build of ``base_usage__usage_daily`` and ``base_usage__feature_usage_weekly`` re-checks only the
rows whose label can change under the same rules (macros/landing_validation.sql). When the dbt project changed
the rules may have changed too. A refresh reloads the seeds then (and when a seed table differs from its file,
seeds_state.py), and in every run that reloads them it sets ``PARTNERPULSE_REBUILD_STAGING=1``: dbt builds each
model whose meta sets ``rebuild_on_project_change`` whole when it builds it (its ``should_full_refresh``,
macros/staging_rebuild.sql, reads the variable when the model runs).

This module only names them for the refresh's log: the models dbt builds in this run (its selection less
the models it leaves out as unchanged, decision 115). On Spark they are tables, built whole every time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

REBUILD_META = "rebuild_on_project_change"


def models_rebuilt_on_project_change(manifest: Mapping[str, Any]) -> list[str]:
    """The incremental models whose config meta sets ``rebuild_on_project_change`` (what the macro reads), sorted."""
    names = []
    for node in manifest.get("nodes", {}).values():
        config = node.get("config") or {}
        if (
            node.get("resource_type") == "model"
            and config.get("materialized") == "incremental"
            and (config.get("meta") or {}).get(REBUILD_META)
        ):
            names.append(node["name"])
    return sorted(names)


def rebuilt_in_build(models: Sequence[str], target: str, project_changed: bool, built: Collection[str]) -> list[str]:
    """Which of ``models`` (``models_rebuilt_on_project_change``) a build makes whole: when ``project_changed``
    (the seeds are reloaded), those it builds (``built``), none on Spark (whole there anyway)."""
    if not project_changed or target == "spark":
        return []
    return [name for name in models if name in built]
