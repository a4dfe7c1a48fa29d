"""The public_sources DAG through a real Airflow (dags test, metadata in PostgreSQL), fetching
from the NOMIS-like and GOV.UK-like server on 127.0.0.1 into a real Postgres; a second
run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from councilbench.dev.economy_table_samples import served_urls
from councilbench.dev.public_server import SourceServer
from councilbench.orchestration.airflow_env import airflow_environ, dags_test, migrate
from councilbench.public import datasets as dsets
from councilbench.warehouse.connection import connect

pytestmark = pytest.mark.airflow

FIXTURES = Path(__file__).parents[1] / "fixtures" / "public"
CONF = {
    "month_from": "2025-10", "month_to": "2025-12", "year_from": "2022", "year_to": "2024",
    "gpg_year_from": "2022-23", "gpg_year_to": "2024-25",
}  # fmt: skip
ALL_AREAS = dsets.known_areas()
NO_UK = set(ALL_AREAS) - {dsets.UK_CODE}  # the datasets that do not ask for the UK


def _state(warehouse) -> dict:
    with connect(warehouse, role="loader") as conn:
        return {
            "submissions": conn.execute(
                "select submission_id, subject, period, status from ops.submissions"
                " where source_kind = 'public_source' order by 1"
            ).fetchall(),
            "rows": conn.execute(
                "select submission_id, count(*), sum(value) from raw.public_observations group by 1 order by 1"
            ).fetchall(),
            "checks": conn.execute(
                "select submission_id, check_name, outcome from ops.check_results order by 1, 2"
            ).fetchall(),
        }


def _areas_loaded(warehouse, subject: str, period: str) -> dict[str, set[str]]:
    with connect(warehouse, role="loader") as conn:
        rows = conn.execute(
            """select o.measure, o.area_code from raw.public_observations o
               join ops.submissions s using (submission_id)
               where s.subject = %s and s.period = %s and s.status = 'loaded'""",
            [subject, period],
        ).fetchall()
    out: dict[str, set[str]] = {}
    for measure, area in rows:
        out.setdefault(measure, set()).add(area)
    return out


def test_public_sources_dag_loads_every_area_and_a_rerun_changes_nothing(warehouse, state_dir):
    with SourceServer(FIXTURES, cell_cap=100) as server:
        env = airflow_environ(warehouse)
        env[dsets.NOMIS_BASE_URL_ENV] = server.base_url
        env["COUNCILBENCH_DEFRA_WASTE_URL"] = server.url("defra/LA_and_Regional_Spreadsheet_2023-24.ods")
        env["COUNCILBENCH_GPG_URL"] = server.gpg_url
        env.update(served_urls(server))  # ONS and MHCLG tables (tests/fixtures/public/ons, .../mhclg)
        migrate(env)
        dags_test(env, "public_sources", "-c", json.dumps(CONF))
        first = _state(warehouse)

        claimant = _areas_loaded(warehouse, "nomis_claimant_count", "2025-10/2025-12")
        population = _areas_loaded(warehouse, "nomis_population", "2022/2024")
        waste = _areas_loaded(warehouse, "defra_waste", "2023-24")
        youth = _areas_loaded(warehouse, "nomis_claimant_count_18_24", "2025-10/2025-12")
        assert claimant == {"econ_claimant_count": set(ALL_AREAS), "econ_claimant_rate": set(ALL_AREAS)}
        assert population == {"econ_population_all_ages": NO_UK, "econ_population_16_64": NO_UK}
        assert youth == {"econ_claimant_count_18_24": set(ALL_AREAS), "econ_claimant_rate_18_24": set(ALL_AREAS)}
        assert len(ALL_AREAS) == 36 and {"E12000005", "E92000001", "K02000001"} <= set(ALL_AREAS)
        assert waste["waste_defra_household_recycling_rate"] == NO_UK  # counties published too
        # NOMIS was paged (cap 100): 216 claimant records in 3 pages, population 210 the same.
        assert len([r for r in server.requests_to("/api/v01/dataset/NM_162_1") if "&age=0&" in r]) == 3

        dags_test(env, "public_sources", "-c", json.dumps(CONF))
        assert _state(warehouse) == first
