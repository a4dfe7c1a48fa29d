"""Sample "spend over £500" files: every council's file reads back through the spend
reader to exactly the lines, totals and redactions its truth says, deterministically,
in six layouts; each named fault does what it claims."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
from collections import Counter
from decimal import Decimal

import pandas as pd
import pytest

from councilbench.core import catalogue
from councilbench.dev import cli as dev_cli
from councilbench.dev import sample_cli, sample_suppliers
from councilbench.dev import sample_spend as ss
from councilbench.spend import categories
from councilbench.spend.read import read_spend
from councilbench.spend.values import is_redacted

SCALE = 0.02  # about 2,000 lines for the 33 councils in a month
MONTH = "2026-02"
TRI_COUNCIL = ("E10000028", "E06000051", "E10000034")  # Staffordshire, Shropshire, Worcestershire County


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return ss.write(tmp_path_factory.mktemp("spend"), [MONTH], scale=SCALE)


@pytest.fixture(scope="module")
def reads(sample):
    return {f.path: read_spend(f.path, council_code=f.council_code) for f in sample.files}


def _pence(amount: Decimal) -> int:
    return int(amount * 100)


# --- determinism -----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_bytes_and_a_month_alone_equals_it_in_a_history(tmp_path):
    councils = ["birmingham", "worcestershire", "bromsgrove", "cannock-chase", "coventry"]
    history = ss.write(tmp_path / "history", ["2026-01", MONTH], councils, scale=SCALE)
    alone = ss.write(tmp_path / "alone", [MONTH], councils, scale=SCALE)
    other_seed = ss.write(tmp_path / "other", [MONTH], councils, seed=16, scale=SCALE)
    by_name = {(p.parent.name, p.name): p.read_bytes() for p in history.paths}
    assert len(alone.paths) == len(councils)
    for path, other in zip(alone.paths, other_seed.paths, strict=True):
        assert path.read_bytes() == by_name[(path.parent.name, path.name)], path
        assert path.read_bytes() != other.read_bytes()
    # A quarterly council has one file for the quarter, whatever months of it are asked for.
    assert sorted(p.name for p in history.paths if p.parent.name == "bromsgrove") == ["spend-2026-Q1.csv"]


# --- every council's file reads back to its truth -----------------------------------------------


def test_every_councils_file_reads_without_a_failing_finding(sample, reads):
    assert len(sample.files) == 33
    for f in sample.files:
        r = reads[f.path]
        assert r.ok and r.outcome == "pass", (f.path, [x for x in r.findings if x.outcome != "pass"])


def test_line_counts_totals_and_redactions_equal_the_truth(sample, reads):
    for f in sample.files:
        r = reads[f.path]
        assert r.line_count == len(f.lines) >= ss.MIN_LINES, f.path
        assert _pence(r.frame["net_amount"].sum()) == f.net_pence, f.path
        assert r.redacted_count == f.redacted == sum(r.frame["redacted"]), f.path
    assert sum(f.redacted for f in sample.files) > 20


def test_each_line_reads_to_its_truth(sample, reads):
    for f in sample.files:
        frame = reads[f.path].frame
        assert list(frame["row_number"]) == list(range(f.first_row, f.first_row + len(f.lines))), f.path
        assert list(frame["payment_date"]) == [x.payment_date for x in f.lines]
        assert [_pence(a) for a in frame["net_amount"]] == [x.net_pence for x in f.lines]
        assert list(frame["expense_type"]) == [x.expense_type for x in f.lines]
        assert list(frame["supplier_name"]) == ["" if x.redacted else " ".join(x.raw_name.split()) for x in f.lines]
        if f.layout == "purchase_card":
            assert list(frame["card_transaction"]) == [x.card for x in f.lines]
            assert sum(x.card for x in f.lines) > 0


def test_the_habits_written_are_the_habits_read(sample, reads):
    seen = Counter()
    for f in sample.files:
        r = reads[f.path]
        for habit in ("float", "excel_error", "negative", "split_transactions"):
            assert r.count(habit) == f.habits[habit], (f.path, habit)
            seen[habit] += f.habits[habit]
        assert r.count("totals_dropped") == (f.layout == "formatted_csv")
        assert r.count("title_rows") == (2 if f.layout == "county_xlsx" else 0)  # and a blank row below them
    assert all(seen[h] > 0 for h in ("float", "excel_error", "negative", "split_transactions")), seen
    assert sum(f.habits["split_parts_under_500"] for f in sample.files) > 0


def test_six_layouts_monthly_and_quarterly(sample, reads):
    layouts = Counter(f.layout for f in sample.files)
    assert set(layouts) == set(ss.LAYOUTS) and min(layouts.values()) >= 4
    for f in sample.files:
        short = catalogue.councils()[f.council_code].short_name
        quarter = short in ss.QUARTERLY
        assert (
            f.path.name == f"spend-{'2026-Q1' if quarter else MONTH}.{'xlsx' if f.layout == 'county_xlsx' else 'csv'}"
        )
        assert f.path.parent.name == short
        r = reads[f.path]
        assert r.file_format == ("xlsx" if f.layout == "county_xlsx" else "csv")
        months = {d.month for d in r.frame["payment_date"]}
        assert months == ({1, 2, 3} if quarter else {2}), f.path
    assert reads[next(f.path for f in sample.files if f.layout == "district_cp1252")].encoding == "windows-1252"


def test_redactions_are_spelled_many_ways_and_never_carry_a_supplier(sample):
    spellings = {x.raw_name for f in sample.files for x in f.lines if x.redacted}
    assert len(spellings) >= 6 and all(is_redacted(s) for s in spellings)
    assert all(is_redacted(s) for s in ss.REDACTIONS)
    for f in sample.files:
        assert all((x.supplier_id is None) == x.redacted for x in f.lines)
        assert not any(is_redacted(x.raw_name) for x in f.lines if not x.redacted)


def test_lines_under_500_are_parts_of_larger_transactions_credits_or_card_spend(sample):
    for f in sample.files:
        numbers = Counter(x.transaction_number for x in f.lines)
        for x in f.lines:
            if x.net_pence < 50_000:
                assert x.net_pence < 0 or x.card or numbers[x.transaction_number] > 1, x


# --- suppliers and categories: the truth for later sessions ------------------------------------------


def test_each_raw_name_is_one_the_council_publishes_for_its_supplier(sample):
    published = {
        code: {(r.raw_name, sid) for r, sid in records}
        for code, records in sample_suppliers.suppliers_by_council(ss.UNIVERSE, ss.SEED).items()
    }
    for f in sample.files:
        assert all((x.raw_name, x.supplier_id) in published[f.council_code] for x in f.lines if not x.redacted)
    assert len(sample.raw_names()) > 500
    assert any(len(x.raw_name) == 35 for f in sample.files for x in f.lines)  # names cut by a finance system


def test_partnership_councils_share_suppliers():
    paid = [{s.supplier_id for s in ss.profile(code).suppliers} for code in TRI_COUNCIL]
    assert len(paid[0] & paid[1] & paid[2]) >= 10
    assert all(len(a & b) >= 30 for a, b in ((paid[0], paid[1]), (paid[1], paid[2]), (paid[0], paid[2])))


def test_expense_types_come_from_the_category_map_with_generic_ones_left_unmapped(sample):
    cmap = categories.default_map()
    styles = set()
    for f in sample.files:
        names = sample.expense_types[f.council_code]
        assert set(names.values()) - {None} == set(ss.ALL_CODES)  # every code the suppliers are paid for
        generic = [n for n, code in names.items() if code is None]
        assert 2 <= len(generic) <= 4
        for x in f.lines:
            assert names[x.expense_type] == (x.proclass_code if x.classifiable else None)
            assert x.category == ss.heading(x.proclass_code)
            assert cmap.headings[x.proclass_code].level == 2
        styles.add(next(iter(names)).split()[0].isdigit() or next(iter(names)).isupper())
    assert styles == {True, False}  # councils spell them differently (codes, capitals, plain)


def test_council_rules_decide_the_councils_own_names_and_codes():
    stafford, others = ss.expense_types("E07000197"), ss.expense_types("E07000199")  # Stafford, Tamworth
    assert [n for n, code in stafford.items() if code == "370500"] == ["Contract Payments"]
    assert "Contract Payments" in ss.GENERIC_TYPES and "Contract Payments" not in ss.profile("E07000197").generic_names
    assert others.get("Contract Payments", None) is None
    birmingham = ss.profile("E08000025")
    assert {birmingham.expense_codes[n] for n in birmingham.expense_names["350200"]} == {"4010"}
    assert all(birmingham.expense_codes[n].startswith("51") for n in birmingham.expense_names["260100"])
    worcestershire = ss.profile("E10000034")
    assert all(worcestershire.expense_codes[n].startswith("B42") for n in worcestershire.expense_names["110700"])


def test_the_categoriser_finds_every_classifiable_lines_true_code(sample, reads):
    """Measured on the files as read back: every line whose type says its category gets
    the true code; every generic one stays unclassified; so the unclassified share per
    council is the truth's."""
    truth, frames = [], []
    for f in sample.files:
        frame = categories.categorise_frame(reads[f.path].frame, council_code=f.council_code)
        frames.append(frame.assign(council_code=f.council_code))
        for x, code, method in zip(f.lines, frame["proclass_code"], frame["category_method"], strict=True):
            if x.classifiable:
                assert code == x.proclass_code, (f.path, x.expense_type, method, code, x.proclass_code)
            else:
                assert method == "unclassified", (f.path, x.expense_type, code)
            truth.append((f.council_code, x.net_pence if not x.classifiable else 0, x.net_pence))
    measured = categories.unclassified_share(pd.concat(frames)).set_index("council_code")
    shares = pd.DataFrame(truth, columns=["council_code", "unclassified", "net"]).groupby("council_code").sum()
    expected = (shares["unclassified"] / shares["net"]).round(4)
    assert (measured["unclassified_share"] - expected).abs().max() < 1e-3
    assert 0.02 < measured["unclassified_share"].median() < 0.3
    assert measured["unclassified_share"].max() - measured["unclassified_share"].min() > 0.05  # councils differ
    print("\nunclassified share of net spend, by council (categoriser = truth):")
    names = catalogue.councils()
    for code, row in measured.sort_values("unclassified_share").iterrows():
        print(
            f"  {names[code].short_name:24} {row['unclassified_share']:6.1%}  ({int(row['unclassified_lines'])}/{int(row['lines'])} lines)"
        )


def test_a_truth_csv_has_a_row_per_line(sample, tmp_path):
    path = sample.write_truth(tmp_path / "truth.csv")
    rows = path.read_text(encoding="utf-8").splitlines()
    assert len(rows) == sample.line_count + 1
    assert rows[0].startswith("council_code,period,file,row,transaction_number,payment_date,supplier_id")


# --- scale --------------------------------------------------------------------------------------


def test_the_scale_is_a_million_lines_and_the_tri_council_spends_over_725m():
    assert 900_000 <= ss.expected_lines_per_year() <= 1_100_000
    councils = catalogue.councils()
    assert sum(ss.annual_spend(councils[c]) for c in TRI_COUNCIL) > 725e6
    staffordshire = ss.month_lines("staffordshire", MONTH)
    cannock = ss.month_lines("cannock-chase", MONTH)
    spent = sum(x.net_pence for x in staffordshire) / 100
    assert 0.75 < spent / (ss.annual_spend(councils["E10000028"]) / 12) < 1.25
    assert spent > 8 * sum(x.net_pence for x in cannock) / 100
    assert len(staffordshire) > 5 * len(cannock)


# --- faults -------------------------------------------------------------------------------------

READER_FAULTS = {
    "empty": ("walsall", "readable", "empty (0 bytes)"),
    "header_only": ("worcestershire", "readable", "has a header (row 4) but no payment lines"),
    "html_page": ("dudley", "readable", "served a web page"),
    "zip_named_csv": ("birmingham", "readable", "is a ZIP archive holding spend-2026-02.csv"),
    "semicolon_delimiter": ("rugby", "readable", "semicolons"),
    "missing_amount_column": ("cannock-chase", "columns", "the only amount is the gross amount"),
    "amounts_as_text": ("worcestershire", "amounts", "3 amounts in column 'Net Amount' cannot be read"),
    "month_first_dates": ("shropshire", "dates", "written month first"),
}


@pytest.mark.parametrize("fault", sorted(READER_FAULTS))
def test_a_fault_the_reader_catches(fault, tmp_path):
    council, check, words = READER_FAULTS[fault]
    assert ss.FAULTS[fault].caught_by == "reader" and ss.FAULTS[fault].checks == (check,)
    sample = ss.write(tmp_path, ["2026-01", MONTH], [council], faults={council: [fault]}, scale=SCALE)
    clean, faulted = sample.files
    assert not clean.faults and read_spend(clean.path, council_code=clean.council_code).ok
    assert faulted.faults == (fault,) and faulted.path.name.startswith(f"spend-{MONTH}.")  # the name is kept
    r = read_spend(faulted.path, council_code=faulted.council_code)
    assert r.finding(check).outcome == "fail" and words in r.finding(check).message, r.findings


def _write_one(tmp_path, council: str, fault: str, months=(MONTH,)):
    sample = ss.write(tmp_path, list(months), [council], faults={council: [fault]}, scale=SCALE)
    f = sample.files[-1]
    r = read_spend(f.path, council_code=f.council_code)
    assert ss.FAULTS[fault].caught_by == "validator" and r.ok, r.findings  # it reads: the validator catches it
    assert r.line_count == len(f.lines) and _pence(r.frame["net_amount"].sum()) == f.net_pence
    return sample, f, r.frame


def test_dates_outside_the_period(tmp_path):
    _, f, frame = _write_one(tmp_path, "coventry", "dates_outside_period")
    outside = [d for d in frame["payment_date"] if d.strftime("%Y-%m") != MONTH]
    assert outside == [dt.date(2026, 3, 2)] * 3
    assert sum(x.payment_date.month != 2 for x in f.lines) == 3  # the truth says so too


def test_another_councils_file(tmp_path):
    _, f, frame = _write_one(tmp_path, "warwick", "other_council")
    other = catalogue.councils()[ss.other_council_for("E07000222")]
    assert f.body == other.code != "E07000222"
    assert set(frame["body"]) == {other.name}
    assert f.path.parent.name == "warwick"


def test_the_previous_period_published_again(tmp_path):
    sample, f, frame = _write_one(tmp_path, "birmingham", "repeat_previous_period", ("2026-01", MONTH))
    assert f.path.read_bytes() == sample.files[0].path.read_bytes()
    assert {d.strftime("%Y-%m") for d in frame["payment_date"]} == {"2026-01"}


def test_periods_step_by_their_own_length():
    assert [ss.shift_period("2026-01", n) for n in (-1, 1)] == ["2025-12", "2026-02"]
    assert [ss.shift_period("2026-Q1", n) for n in (-1, 1)] == ["2025-Q4", "2026-Q2"]
    assert ss.period_months("2025-Q4") == ["2025-10", "2025-11", "2025-12"]


def test_repeated_lines(tmp_path):
    _, f, frame = _write_one(tmp_path, "tamworth", "duplicate_lines")
    assert frame.drop(columns="row_number").duplicated().sum() == 3
    assert len(f.lines) - len(set(f.lines)) == 3


def test_amounts_in_pence_are_a_total_far_off_the_usual(tmp_path):
    _, f, _ = _write_one(tmp_path, "staffordshire", "amounts_in_pence")
    assert f.net_pence == 100 * sum(x.net_pence for x in ss.period_lines("E10000028", MONTH, scale=SCALE))


def test_small_payments_on_their_own(tmp_path):
    _, f, frame = _write_one(tmp_path, "sandwell", "lone_small_lines")
    numbers = Counter(frame["transaction_number"])
    alone = frame[(frame["net_amount"] > 0) & (frame["net_amount"] < 500)]
    assert sum(numbers[t] == 1 for t in alone["transaction_number"]) == 5
    assert sum(0 < x.net_pence < 50_000 and not x.card for x in f.lines) >= 5


def test_every_fault_is_tested_and_unknown_faults_are_refused(tmp_path):
    validator = {"dates_outside_period", "other_council", "repeat_previous_period", "duplicate_lines",
                 "amounts_in_pence", "lone_small_lines"}  # fmt: skip
    assert set(ss.FAULTS) == set(READER_FAULTS) | validator
    with pytest.raises(KeyError, match="unknown fault"):
        ss.write(tmp_path, [MONTH], ["dudley"], faults={"dudley": ["no_such_fault"]}, scale=SCALE)
    with pytest.raises(ValueError, match="not among the councils written"):
        ss.write(tmp_path, [MONTH], ["dudley"], faults={"walsall": ["empty"]}, scale=SCALE)


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def parser():
    p = argparse.ArgumentParser(prog="councilbench")
    sample_cli.add_spend_command(p.add_subparsers(dest="command", required=True))
    return p


def run(parser, argv) -> int:
    args = parser.parse_args(argv)
    return args.func(args)


def test_sample_spend_command_writes_and_reports(parser, tmp_path, capsys):
    argv = ["sample-spend", "--months", "2026-01:2026-02", "--out", str(tmp_path), "--council", "dudley",
            "--fault", "bromsgrove:html_page", "--scale", str(SCALE), "--seed", "3"]  # fmt: skip
    assert run(parser, argv) == 0
    out = capsys.readouterr().out
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("spend-*.*"))
    assert written == ["bromsgrove/spend-2026-Q1.csv", "dudley/spend-2026-01.csv", "dudley/spend-2026-02.csv",
                       "spend-truth.csv"]  # fmt: skip
    assert (tmp_path / "bromsgrove" / "spend-2026-Q1.csv").read_text().startswith("<!DOCTYPE html")
    same = ss.write(tmp_path / "again", ["2026-01", "2026-02"], ["dudley"], seed=3, scale=SCALE)
    assert same.files[0].path.read_bytes() == (tmp_path / "dudley" / "spend-2026-01.csv").read_bytes()
    dudley = next(line for line in out.splitlines() if line.strip().startswith("dudley "))
    lines = sum(len(f.lines) for f in same.files)
    net = sum(f.net_pence for f in same.files) / 100
    assert f" 2 {lines:>9,} " in dudley and f"£{net:,.0f}" in dudley and "%" in dudley
    assert "fault: " in out and "html_page (rejected)" in out
    assert f"wrote 3 spend files for 2 councils, {lines:,} lines, 2026-01..2026-02, seed 3" in out
    truth = (tmp_path / "spend-truth.csv").read_text().splitlines()
    assert len(truth) == lines + 1 and "proclass_code,classifiable" in truth[0]


def test_sample_spend_command_lists_faults_and_explains_itself(parser, capsys):
    assert run(parser, ["sample-spend", "--list-faults"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ss.FAULTS) and "validator: period" in out
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["sample-spend", "--help"])
    assert exit_.value.code == 0
    help_text = capsys.readouterr().out
    assert "--scale" in help_text and "<short_name>/spend-<YYYY-MM>.csv" in help_text


def test_sample_spend_command_refuses_bad_arguments(parser, tmp_path):
    with pytest.raises(ValueError, match="unknown fault"):
        run(parser, ["sample-spend", "--months", "2026-02", "--out", str(tmp_path), "--fault", "dudley:gremlins"])
    with pytest.raises(ValueError, match="required"):
        run(parser, ["sample-spend", "--months", "2026-02"])
    with pytest.raises(ValueError, match="--scale"):
        run(parser, ["sample-spend", "--months", "2026-02", "--out", str(tmp_path), "--scale", "0"])
    with pytest.raises(SystemExit):
        parser.parse_args(["sample-spend", "--months", "2026-02", "--out", "x", "--fault", "html_page"])


def test_the_command_is_registered_and_the_package_runs_as_a_module():
    main = argparse.ArgumentParser()
    dev_cli.add_commands(main.add_subparsers(dest="command"))
    assert main.parse_args(["sample-spend", "--list-faults"]).func is sample_cli.cmd_sample_spend
    assert importlib.util.find_spec("councilbench.dev.sample_spend.__main__") is not None
