"""Realistic "spend over £500" files for the 33 councils, any months, with the truth kept.

Pooled procurement spend (issue 15) needs files that look like what councils publish
under the Local Government Transparency Code 2015: each council in its own layout (six
here, from the five real ones in tests/fixtures/spend plus the LGA's template), monthly
or quarterly, CSV or XLSX, with the habits real files have: redacted beneficiaries in
many spellings, credit notes, float artefacts, '#N/A', supplier names cut at 35
characters, one transaction over several lines (some parts under £500), '£', commas,
brackets and trailing totals, title rows and Excel serial dates, Windows-1252.

The truth is kept for every line: which supplier (from dev/sample_suppliers.py, so
suppliers are shared across councils and partnership groups share suppliers), which
ProClass category (the level-2 code of proclass_categories.csv, and whether the expense
type written says it: the names come from spend_category_map.csv's rules, see
expenses.py, with a share of generic types left unclassifiable), whether it was
redacted, what the council called its expense type.

Sizes are plausible: about a million lines a year over the 33 councils; a county spends
far more than a district, and Staffordshire, Shropshire and Worcestershire County
together spend over £725m a year. A month's lines are a pure function of (seed,
council, month): the same seed gives byte-identical files, and one month alone equals
the same month in a history. A quarterly council's file holds its three months' lines.

    sample = write(out, ["2026-01", "2026-02"], faults={"dudley": ["html_page"]})
    sample.paths, sample.files[0].lines, sample.expense_types["E08000025"]

writes <out>/<short_name>/spend-<YYYY-MM>.csv (or spend-<YYYY>-Q<n>.xlsx: calendar
quarters, as the returns use), the layout a registry `spend_source` template such as
`{spend_base_url}/<short_name>/spend-{period}.csv` would serve. A fault applies to the
council's last period written, as in dev/sample_returns.py; a faulted file keeps its

One idea a module: profiles.py (how each council publishes), expenses.py (what it calls
what it buys), lines.py (a month's payment lines and the periods), layouts.py (lines ->
a sheet -> bytes), faults.py (named mistakes), files.py (writing many files, the truth).
`python -m councilbench.dev.sample_spend [DIR]` writes a year and times it;
`councilbench sample-spend` is the command (dev/sample_cli.py).
"""

from councilbench.dev.sample_spend.expenses import GENERIC_TYPES, heading
from councilbench.dev.sample_spend.faults import AMOUNT_WORDS, FAULTS, Draft, Fault, other_council_for
from councilbench.dev.sample_spend.files import (
    SpendFile,
    SpendSample,
    build,
    expected_lines_per_year,
    expense_types,
    measure_year,
    write,
)
from councilbench.dev.sample_spend.layouts import BODY_LAYOUTS, Sheet, render
from councilbench.dev.sample_spend.lines import (
    MIN_LINES,
    Line,
    month_lines,
    period_label,
    period_lines,
    period_months,
    period_of,
    shift_period,
    spend_path,
)
from councilbench.dev.sample_spend.profiles import (
    ALL_CODES,
    LAYOUT_OF,
    LAYOUTS,
    QUARTERLY,
    REDACTIONS,
    SECTOR_CATEGORIES,
    SEED,
    UNIVERSE,
    PaidSupplier,
    Profile,
    annual_spend,
    profile,
)

__all__ = [
    "ALL_CODES", "AMOUNT_WORDS", "BODY_LAYOUTS", "FAULTS", "GENERIC_TYPES", "LAYOUTS", "LAYOUT_OF", "MIN_LINES",
    "QUARTERLY", "REDACTIONS", "SECTOR_CATEGORIES", "SEED", "UNIVERSE", "Draft", "Fault", "Line", "PaidSupplier",
    "Profile", "Sheet", "SpendFile", "SpendSample", "annual_spend", "build", "expected_lines_per_year",
    "expense_types", "heading", "measure_year", "month_lines", "other_council_for", "period_label", "period_lines",
    "period_months", "period_of", "profile", "render", "shift_period", "spend_path", "write",
]  # fmt: skip
