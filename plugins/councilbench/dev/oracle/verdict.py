"""Every published mart of a warehouse recomputed by the oracles and compared cell by cell:
the facts, the benchmarking, region, context and good practice marts, the neighbour model
and the comparison groups (benchmark.py, context.py, facts.py, groups.py, compared by
diff.py), submission quality (quality.py), the spend marts (spend.py) and the
pay marts (pay.py), the last three compared by frames.py. A domain with nothing loaded
(no spend files, no pay deposits) is said to have been left out, not counted as checked.

The test suite runs each comparison under its own test (tests/oracle/); `make demo` ends
with `verdict(...).line()`, one sentence on its own warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field

from councilbench.core import settings
from councilbench.dev.oracle import benchmark, context, facts, groups, pay, quality, spend
from councilbench.dev.oracle import diff as rows_diff
from councilbench.dev.oracle.frames import Compared, check, read_frame
from councilbench.warehouse.connection import Warehouse, connect

MONEY = 0.005  # half a penny: sums of pence, added in floats by the spend oracle
SHARE = 0.00005 + 1e-9  # the spend marts round shares to 4 places; the oracle does not
RATE = 1e-9  # a rate from the settings, as numeric in the mart and float in the oracle

#: The spend marts: their key and the tolerance of each numeric column that has one.
_SPEND_MONEY = dict.fromkeys(["net_amount", "irrecoverable_vat", "redacted_amount"], MONEY)
SPEND_MARTS: dict[str, tuple[list[str], dict[str, float]]] = {
    "fct_spend_line": (["submission_id", "source_row_number"], {}),
    "mart_spend_by_category": (
        ["council_code", "spend_period", "proclass_level2"],
        {**_SPEND_MONEY, "share_of_period": SHARE},
    ),
    "mart_spend_by_category_year": (
        ["council_code", "financial_year", "proclass_level2"],
        {**_SPEND_MONEY, "share_of_year": SHARE},
    ),
    "mart_spend_opportunities": (
        ["group_id", "financial_year", "proclass_level2_code"],
        {
            **dict.fromkeys(
                ["combined_net_amount", "smallest_council_amount", "largest_council_amount", "shared_supplier_amount"],
                MONEY,
            ),
            "top_supplier_share": SHARE,
            "savings_rate_low": RATE,
            "savings_rate_high": RATE,
            "savings_low": MONEY + 1e-9,  # rounded to pence by the mart
            "savings_high": MONEY + 1e-9,
        },
    ),
    "mart_spend_shared_suppliers": (
        ["group_id", "financial_year", "supplier_id", "council_code"],
        dict.fromkeys(["net_amount", "irrecoverable_vat", "group_net_amount"], MONEY),
    ),
    "mart_spend_quality": (
        ["council_code", "spend_period"],
        {
            **dict.fromkeys(
                ["net_amount", "unclassified_amount", "redacted_amount", "unidentified_supplier_amount"], MONEY
            ),
            **dict.fromkeys(["unclassified_share", "redacted_share", "unidentified_supplier_share"], SHARE),
        },
    ),
}
PAY_KEYS = {
    "mart_pay_benchmark": ["group_id", "pay_year", "role_id"],
    "mart_pay_gender_gap": ["council_code", "reporting_year"],
}
QUALITY_KEY = ["council_code", "return_month"]


def published(warehouse: Warehouse, mart: str):
    """A mart's rows as the analysts read them."""
    return read_frame(warehouse, f"select * from marts.{mart}")


# --- each domain ----------------------------------------------------------------------


def benchmarking(warehouse: Warehouse) -> tuple[dict[str, list[dict]], dict[str, rows_diff.Comparison]]:
    """The benchmarking, region, context and good practice marts, the facts, the comparison
    groups and the neighbour model: what the oracle recomputed (with its nearest-neighbour lists under "_neighbours") and each comparison."""
    from councilbench.warehouse.transform import project_vars  # the settings dbt was given

    with connect(warehouse) as conn:
        given = project_vars()
        world = benchmark.load_world(conn, settings.dbt_project_dir(), given)
        expected = benchmark.recompute(conn, settings.dbt_project_dir(), given, world)
        expected["fct_metric_value"] = facts.fct_metric_value(conn, world)
        expected |= groups.recompute(world)
        expected |= context.recompute_context(
            conn, settings.dbt_project_dir(), given, expected["mart_benchmark"], expected["mart_best_practice"]
        )
        compared = {}
        for mart in rows_diff.KEYS:
            columns, rows = rows_diff.read_mart(conn, mart)
            compared[mart] = rows_diff.compare(mart, columns, rows, expected[mart])
    return expected, compared


def submission_quality(warehouse: Warehouse) -> Compared:
    expected = quality.submission_quality(quality.read_ledger(warehouse))
    return check("mart_submission_quality", published(warehouse, "mart_submission_quality"), expected, QUALITY_KEY)


def spend_marts(warehouse: Warehouse, inputs: spend.SpendInputs, lines) -> dict[str, Compared]:
    """The spend marts from the oracle's lines (spend.spend_lines(inputs))."""
    expected = {
        "fct_spend_line": lines,
        "mart_spend_by_category": spend.by_category(lines),
        "mart_spend_by_category_year": spend.by_category_year(lines, inputs.submissions),
        "mart_spend_opportunities": spend.opportunities(lines, settings.spend_savings_rates()),
        "mart_spend_shared_suppliers": spend.shared_suppliers(lines),
        "mart_spend_quality": spend.quality(inputs, lines, int(spend.dbt_var("spend_due_months"))),
    }
    return {
        mart: check(mart, published(warehouse, mart), expected[mart], key, tolerances)
        for mart, (key, tolerances) in SPEND_MARTS.items()
    }


def pay_marts(warehouse: Warehouse) -> dict[str, Compared]:
    """The pay marts. match_note's words are not documented, only what it must say: a
    note that does not say why counts as a difference of its own."""
    expected = pay.pay_benchmark(pay.counting_posts(warehouse), pay.memberships(warehouse), pay.PayRules.configured())
    gap = pay.gender_gap(pay.loaded_gender_pay_gap(warehouse))
    mart_gap = published(warehouse, "mart_pay_gender_gap")
    notes = mart_gap.merge(gap, on=PAY_KEYS["mart_pay_gender_gap"], suffixes=("", "_oracle"))
    unexplained = [
        f"match_note of {r.council_code} {r.reporting_year} does not say why: {r.match_note!r}"
        for r in notes.itertuples()
        if not pay.note_says_why(r.match_note, r.match_status_oracle, r.employer_id_oracle, r.filed_name)
    ]
    compared = check(
        "mart_pay_gender_gap",
        mart_gap.drop(columns=["match_note"]),
        gap.drop(columns=["filed_name"]),
        PAY_KEYS["mart_pay_gender_gap"],
    )
    if unexplained:
        compared = Compared(
            compared.mart,
            compared.rows,
            compared.columns,
            compared.differences + len(unexplained),
            (*compared.problems, *unexplained),
        )
    bench = published(warehouse, "mart_pay_benchmark")
    return {
        "mart_pay_benchmark": check("mart_pay_benchmark", bench, expected, PAY_KEYS["mart_pay_benchmark"]),
        "mart_pay_gender_gap": compared,
    }


# --- the verdict ----------------------------------------------------------------------


@dataclass
class Verdict:
    checked: dict[str, tuple[int, int]] = field(default_factory=dict)  # mart -> (figures, differences)
    left_out: list[str] = field(default_factory=list)  # domains with nothing loaded
    reports: list[str] = field(default_factory=list)  # what differed, readable

    @property
    def figures(self) -> int:
        return sum(f for f, _ in self.checked.values())

    @property
    def differences(self) -> int:
        return sum(d for _, d in self.checked.values())

    def line(self) -> str:
        line = (
            f"every published figure recomputed independently: {self.figures:,} figures in "
            f"{len(self.checked)} marts, {self.differences:,} differences"
        )
        return line + (f" ({'; '.join(self.left_out)})" if self.left_out else "")


def _loaded(warehouse: Warehouse, source_kind: str) -> bool:
    with connect(warehouse, role="loader") as conn:
        found = conn.execute(
            "select exists (select from ops.submissions where source_kind = %s and status = 'loaded')", [source_kind]
        )
        return bool(found.fetchone()[0])


def verdict(warehouse: Warehouse, compared: dict[str, rows_diff.Comparison] | None = None) -> Verdict:
    """Every oracle that has something to check in the warehouse (`compared`: the
    benchmarking comparisons when they were made already)."""
    result = Verdict()
    if compared is None:
        _, compared = benchmarking(warehouse)
    for mart, c in compared.items():
        result.checked[mart] = (c.figures, len(c.differences) + len(c.missing_in_mart) + len(c.missing_in_oracle))
        if not c.clean:
            result.reports.append(c.report())
    frames = {"mart_submission_quality": (submission_quality(warehouse), QUALITY_KEY)}
    if _loaded(warehouse, "council_spend"):
        inputs = spend.read_inputs(warehouse)
        frames |= {
            m: (c, SPEND_MARTS[m][0]) for m, c in spend_marts(warehouse, inputs, spend.spend_lines(inputs)).items()
        }
    else:
        result.left_out.append("no spend files loaded: the spend marts were not checked")
    if _loaded(warehouse, "council_pay"):
        frames |= {m: (c, PAY_KEYS[m]) for m, c in pay_marts(warehouse).items()}
    else:
        result.left_out.append("no pay deposits loaded: the pay marts were not checked")
    for mart, (c, key) in frames.items():
        result.checked[mart] = (c.cells, c.differences)
        if not c.clean:
            result.reports.append(c.report(key))
    return result
