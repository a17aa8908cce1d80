"""The ``dbt`` resource: dagster-dbt's ``DbtCliResource`` without two start-up costs a refresh does not use.

Before every ``dbt build`` dagster-dbt (0.29) runs ``dbt --version`` in a subprocess to learn which dbt it
drives (about 3 s: a second Python importing dbt), and loads dbt's adapter and its macros into the Dagster
process (about 2 s) for ``fetch_row_counts`` / ``fetch_column_metadata``, which PartnerPulse never calls.
The dbt it drives is the venv's own (``settings.DBT_EXECUTABLE``), so its version is the installed
dbt-core's, read from the package metadata; and no adapter handle is made (decision 102).
``tests/test_dbt_resource.py`` checks the version against the executable's own ``dbt --version``.
"""

from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class PartnerPulseDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None
