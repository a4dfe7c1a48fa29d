"""Property-based tests of the validator over council returns broken at random (hypothesis).

Files come from tests/return_mutations.py: any council, any month of 2001-2025, random
sample figures; most with the Excel habits the contract accepts and edits at the edges of
the rules (accepted most of the time), about one in five damaged the ways files really
get broken. They are validated as the pipeline does, in batches (one Great Expectations
run each, `validate_returns`). Then:

1. the parser and the validator never raise: every file gets a ValidationReport, for its
   own council and month, however damaged its neighbours in the batch are;
2. a clean file (accepted habits only, rows and columns moved) is never rejected;
3. whenever a return is accepted, every row it would load keeps the catalogue's rules
   (return_mutations.rule_breaches: written from the catalogue, not from the validator).

The test prints how many files it validated, the share accepted and how many loaded rows
the rules were checked on; it fails if fewer than 65% of a sizeable run were accepted
(the strategy would have stopped exercising the rules). Figures too large for a float
are checked by name at the end.

Random and reproducible: the run's seed (tests/property_seed.py) is printed at the start
and in any failure; `COUNCILBENCH_PROPERTY_SEED=<seed>` replays a run.
`COUNCILBENCH_PROPERTY_EXAMPLES` sets the number of batches (default 20, of 4 to 10 files).
Shrinking is off and no example database is kept.

    COUNCILBENCH_PROPERTY_SEED=1234 .venv/bin/python -m pytest tests/returns/test_property_returns.py
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import example, given, seed, settings
from hypothesis import strategies as st

import return_mutations as rm
from property_seed import REPRODUCE, SEED, announce, reproducible
from return_mutations import DUDLEY, HUGE, TAMWORTH, Case

BATCHES = int(os.environ.get("COUNCILBENCH_PROPERTY_EXAMPLES", 20))
#: Below this share of accepted files the rule checks see too few loaded rows.
MIN_ACCEPTED_SHARE = 0.65


@pytest.fixture(scope="module", autouse=True)
def _print_seed(request):
    announce(request.config, f"[property] seed {SEED} ({REPRODUCE} replays this run)")


def batches(min_size: int = 4, max_size: int = 10):
    """Cases for different council-months (a batch holds at most one of each)."""
    return st.lists(rm.cases(), min_size=min_size, max_size=max_size, unique_by=lambda c: (c.council_code, c.month))


def check_batch(batch: list[Case], tally: Counter) -> None:
    items = [(case.render(), case) for case in batch]
    with TemporaryDirectory() as tmp:
        reports = rm.validate_in_memory(items, Path(tmp))
    for case, report in zip(batch, reports, strict=True):
        assert (report.council_code, report.return_month) == (case.council_code, case.month)
        tally["files"] += 1
        if case.clean:
            tally["clean"] += 1
            assert report.outcome != "fail", (case, [c.message for c in report.failures()])
        if report.outcome == "fail":
            assert report.failures() and all(c.message for c in report.failures())
            continue
        rows = rm.loadable_rows(report)
        assert rows, f"an accepted return with no rows: {case}"
        assert rm.rule_breaches(rows, case.council_code, case.month) == [], case
        tally["accepted"] += 1
        tally["rows"] += len(rows)


def test_parser_and_validator_never_crash_and_accepted_rows_keep_the_rules(request):
    tally: Counter = Counter()

    @seed(SEED)
    @settings(max_examples=BATCHES, **rm.COMMON)
    @given(batch=batches())
    @example(batch=[Case(DUDLEY, "2003-03"), Case(TAMWORTH, "2002-08", habits=tuple(rm.HABITS[:3]))])
    def validated(batch):
        check_batch(batch, tally)

    with reproducible("validator property"):
        validated()
        share = tally["accepted"] / tally["files"]
        announce(
            request.config,
            f"[property] validator: {tally['files']} files in batches ({tally['clean']} clean), "
            f"{tally['accepted']} accepted ({share:.0%}), {tally['rows']} loaded rows checked against the rules",
        )
        if tally["files"] >= 60:
            assert share >= MIN_ACCEPTED_SHARE, tally


# --- figures too large for a float -------------------------------------------------------

HUGE_CASES = {
    # numerator and denominator both beyond a float, value blank: read as inf and inf,
    # value computed as inf / inf = NaN, which no bound or null check sees
    "huge_fraction": Case(DUDLEY, "2003-03", row_mutations=(("nudge", 0, "huge_fraction"),)),
    # a denominator beyond a float, value blank: value computed as 0, denominator Infinity
    "huge_denominator": Case(TAMWORTH, "2002-08", row_mutations=(("nudge", 0, "huge_denominator"),)),
    # a count beyond a float: inf, above every upper bound (rejected today: the control)
    "huge_value": Case(DUDLEY, "2003-03", row_mutations=(("cell", 4, "value", HUGE),)),
}


@pytest.mark.parametrize("name", list(HUGE_CASES))
def test_figures_too_large_for_a_float_are_rejected(name):
    case = HUGE_CASES[name]
    with TemporaryDirectory() as tmp:
        (report,) = rm.validate_in_memory([(case.render(), case)], Path(tmp))
    assert report.outcome == "fail", rm.rule_breaches(rm.loadable_rows(report), case.council_code, case.month)


# --- found by the property test ------------------------------------------------------------


def test_a_workbook_damaged_inside_a_sheet_is_rejected_not_a_crash():
    """One byte changed inside a compressed sheet: the workbook opens, and the damage (a
    CRC error) shows only while its rows are read; the parser raised BadZipFile there."""
    case = Case(DUDLEY, "2014-09", 775, "xlsx", byte_mutations=(("flip", 42018, 74),))
    with TemporaryDirectory() as tmp:
        (report,) = rm.validate_in_memory([(case.render(), case)], Path(tmp))
    assert [c.check for c in report.failures()] == ["readable"]
    assert "could not be opened" in report.failures()[0].message
