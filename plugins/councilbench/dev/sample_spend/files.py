"""Writing many councils' files, and the truth about every line in them.

sample = write(out, ["2026-01", "2026-02"], faults={"dudley": ["html_page"]})
sample.paths, sample.files[0].lines, sample.expense_types["E08000025"]
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from councilbench.core import catalogue
from councilbench.core.calendar import month_index, months_between
from councilbench.dev.sample_spend.faults import FAULTS, Draft
from councilbench.dev.sample_spend.layouts import line_habits
from councilbench.dev.sample_spend.lines import Line, period_lines, period_of, spend_path
from councilbench.dev.sample_spend.profiles import SEASON, SEED, profile


@dataclass(frozen=True)
class SpendFile:
    """One file written, and the truth about it. `lines` are the payment lines it holds
    (none when a fault left no table), in file order from spreadsheet row `first_row`."""

    council_code: str
    period: str
    path: Path
    layout: str
    lines: tuple[Line, ...]
    first_row: int
    habits: Counter
    faults: tuple[str, ...] = ()
    body: str = ""  # whose lines: the council itself unless another council's file was served

    @property
    def net_pence(self) -> int:
        return sum(x.net_pence for x in self.lines)

    @property
    def redacted(self) -> int:
        return sum(x.redacted for x in self.lines)


@dataclass
class SpendSample:
    files: list[SpendFile]
    #: council code -> {expense type as the council writes it: its ProClass code, None for
    #: a generic type that says nothing of what was bought}
    expense_types: dict[str, dict[str, str | None]]
    seed: int

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]

    @property
    def line_count(self) -> int:
        return sum(len(f.lines) for f in self.files)

    def raw_names(self) -> dict[tuple[str, str], str]:
        """(council, raw name as written) -> supplier id, over the clean files' lines."""
        return {
            (f.body, x.raw_name): x.supplier_id for f in self.files if not f.faults for x in f.lines if x.supplier_id
        }

    def truth_rows(self) -> Iterator[dict]:
        """One dict per line, for a truth CSV beside the files."""
        for f in self.files:
            for row, x in enumerate(f.lines, start=f.first_row):
                yield {
                    "council_code": f.body, "period": f.period, "file": f.path.name, "row": row,
                    "transaction_number": x.transaction_number, "payment_date": x.payment_date.isoformat(),
                    "supplier_id": x.supplier_id or "", "raw_name": x.raw_name, "category_top": x.category[0],
                    "category_second": x.category[1], "proclass_code": x.proclass_code,
                    "classifiable": x.classifiable, "expense_type": x.expense_type,
                    "net_amount": f"{x.net_pence / 100:.2f}", "redacted": x.redacted, "card": x.card,
                    "faults": "|".join(f.faults),
                }  # fmt: skip

    def write_truth(self, path: Path | str) -> Path:
        path = Path(path)
        rows = self.truth_rows()
        first = next(rows, None)
        with open(path, "w", newline="", encoding="utf-8") as out:
            if first:
                writer = csv.DictWriter(out, fieldnames=list(first))
                writer.writeheader()
                writer.writerow(first)
                writer.writerows(rows)
        return path


def expense_types(code: str, seed: int = SEED) -> dict[str, str | None]:
    """What one council calls each category: expense type as written -> ProClass code
    (None for its generic types, which say nothing of what was bought)."""
    p = profile(code, seed)
    named = {name: proclass for proclass, names in p.expense_names.items() for name in names}
    return named | dict.fromkeys(p.generic_names)


def build(
    code: str, period: str, faults: Iterable[str] = (), *, seed: int = SEED, scale: float = 1.0
) -> tuple[bytes, Draft]:
    """One council's file for one period: its bytes and the draft (lines, sheet) behind them."""
    p = profile(code, seed)
    names = list(faults)
    unknown = [f for f in names if f not in FAULTS]
    if unknown:
        raise KeyError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    draft = Draft(p, period, seed, scale, period_lines(code, period, seed=seed, scale=scale), code)
    for name in sorted(names, key=lambda n: FAULTS[n].stage):
        FAULTS[name].apply(draft)
    return draft.render(), draft


def write(
    out_dir: Path | str,
    months: Iterable[str],
    councils: Iterable[str] | None = None,
    *,
    seed: int = SEED,
    faults: dict[str, list[str]] | None = None,
    scale: float = 1.0,
) -> SpendSample:
    """Write each council's spend file for every period the months touch (a quarterly
    council's whole quarter) and return the files with their truth.

    councils: GSS codes or short names (default all 33). faults: council -> fault names,
    applied to that council's last period. scale: a share of the lines (0.02 for tests).
    """
    months = sorted(set(months), key=month_index)
    chosen = [catalogue.find_council(c) for c in councils] if councils else list(catalogue.councils().values())
    fault_map = {catalogue.find_council(k).code: list(v) for k, v in (faults or {}).items()}
    missing = set(fault_map) - {c.code for c in chosen}
    if missing:
        raise ValueError(f"faults given for {', '.join(sorted(missing))}, not among the councils written")
    files = []
    for council in chosen:
        p = profile(council.code, seed)
        periods = list(dict.fromkeys(period_of(p, m) for m in months))
        for period in periods:
            names = fault_map.get(council.code, []) if period == periods[-1] else []
            data, draft = build(council.code, period, names, seed=seed, scale=scale)
            path = spend_path(out_dir, council, period, seed)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            sheet = draft.sheet if draft.content is not None else draft.ensure_sheet()
            kept = tuple(draft.lines) if _holds_lines(names) else ()
            files.append(
                SpendFile(council.code, period, path, p.layout, kept, sheet.first_row if sheet else 2,
                          sheet.habits if sheet else line_habits(list(kept)), tuple(names), draft.body)
            )  # fmt: skip
    return SpendSample(files, {c.code: expense_types(c.code, seed) for c in chosen}, seed)


def _holds_lines(names: list[str]) -> bool:
    """False when a fault left no table of lines to read."""
    return not set(names) & {"empty", "header_only", "html_page", "zip_named_csv"}


# --- measuring ----------------------------------------------------------------------------------------


def expected_lines_per_year(seed: int = SEED) -> int:
    """The model's payment lines a year over the 33 councils (seasons average to ~1)."""
    return round(sum(profile(code, seed).lines_per_month * sum(SEASON.values()) for code in catalogue.councils()))


def measure_year(out_dir: Path | str, year: int = 2025, seed: int = SEED) -> str:
    """Write a calendar year for the 33 councils and say how long it took and what it holds."""
    started = perf_counter()
    sample = write(out_dir, months_between(f"{year}-01", f"{year}-12"), seed=seed)
    seconds = perf_counter() - started
    size = sum(p.stat().st_size for p in sample.paths)
    tri = ("E10000028", "E06000051", "E10000034")
    tri_spend = sum(f.net_pence for f in sample.files if f.council_code in tri) / 100
    return (
        f"{len(sample.files)} files, {sample.line_count:,} lines, {size / 2**20:.0f} MB in {seconds:.1f} s; "
        f"Staffordshire + Shropshire + Worcestershire spend £{tri_spend / 1e6:,.0f}m"
    )
