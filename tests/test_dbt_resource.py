"""The lean dbt resource (defs/warehouse/resource.py) reports the version of the dbt it really runs."""

import re
import subprocess

from dagster_project.defs.warehouse.resource import PartnerPulseDbtCliResource
from dagster_project.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR


def test_the_version_is_the_one_the_dbt_executable_reports() -> None:
    output = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, check=True).stdout
    core = re.search(r"installed:\s*(\d+\.\d+\.\d+)", output)
    assert core, output
    resource = PartnerPulseDbtCliResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE)
    assert str(resource._cli_version) == core.group(1)
    assert resource._cli_version.major == 1  # dbt-core, not dbt Fusion: dagster-dbt's dbt-core code path
