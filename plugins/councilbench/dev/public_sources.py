"""The demo's public sources: plausible NOMIS, DEFRA and gender pay gap files for recent
periods, served from 127.0.0.1 in the publishers' formats, so the public_sources DAG runs
unchanged.

    from councilbench.dev.public_sources import serve_demo_sources

    with serve_demo_sources(state / "demo-sources") as env_overrides:
        env.update(env_overrides)  # COUNCILBENCH_NOMIS_BASE_URL, _DEFRA_WASTE_URL, _GPG_URL, _*_URL of each economy table
        run_dag(env, "public_sources")

The files cover the periods the DAG asks for by default on ``as_of`` (today): 36 months
of claimant count up to the latest published month, 6 mid-year estimates, 5 financial
years of DEFRA waste, the 3 latest reporting years of the gender pay gap. They are
written once per folder and reused, so a rerun lands the same bytes (a no-op), like the
real sources between releases.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from councilbench.core import calendar
from councilbench.dev import economy_nomis_samples, economy_table_samples
from councilbench.dev import public_samples as demo_data
from councilbench.dev.public_server import SourceServer
from councilbench.public import datasets, gender_pay_gap


def write_demo_sources(folder: Path, as_of: date | None = None) -> dict[str, Path]:
    as_of = as_of or date.today()
    ranges = datasets.default_ranges(as_of)
    last_month = calendar.month_index(ranges.month_to)
    months = calendar.months_between(calendar.month_from_index(last_month - 35), ranges.month_to)
    years = datasets.years_between(int(ranges.year_to) - 5, ranges.year_to)
    last_fy = as_of.year - 2 if as_of.month < 12 else as_of.year - 1  # FY Y-(Y+1) is out by the December after
    return demo_data.write_sources(
        folder,
        months=months,
        years=years,
        financial=demo_data.financial_years(last_fy - 4, last_fy),
        gpg_years=gender_pay_gap.years_from_params({}, as_of),
    )


@contextlib.contextmanager
def serve_demo_sources(folder: Path, as_of: date | None = None) -> Iterator[dict[str, str]]:
    """Write (if not there yet) and serve the demo files; yield the environment overrides."""
    folder = Path(folder)
    stamp = folder / ".written"
    written = stamp.exists() and stamp.read_text() == (as_of or date.today()).strftime("%Y-%m")
    # A folder written before the gender pay gap files or the economy tables is written again.
    if (
        not written
        or not (folder / "gpg").is_dir()
        or not economy_table_samples.written(folder)
        or not economy_nomis_samples.written(folder)
    ):
        write_demo_sources(folder, as_of)
        stamp.write_text((as_of or date.today()).strftime("%Y-%m"))
    defra = sorted((folder / "defra").glob("*.ods"))[-1]
    with SourceServer(folder) as server:
        yield {
            datasets.NOMIS_BASE_URL_ENV: server.base_url,
            datasets.get("defra_waste").url_env: server.url(f"defra/{defra.name}"),
            gender_pay_gap.URL_ENV: server.gpg_url,
            **economy_table_samples.served_urls(server),
        }
