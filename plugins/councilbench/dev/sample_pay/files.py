"""Writing the councils' pay deposits for a pay year, and the truth about every post.

sample = write(out, "2025-26", faults={"dudley": ["hourly_rates"]})
sample.paths, sample.files[0].posts, sample.write_truth(out / "pay-truth-2025-26.csv")
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from councilbench.core import catalogue
from councilbench.core.catalogue import Council
from councilbench.dev.sample_pay.faults import FAULTS, Draft
from councilbench.dev.sample_pay.layouts import cells_of
from councilbench.dev.sample_pay.posts import Post, council_posts
from councilbench.dev.sample_pay.profiles import SEED, post_count, profile
from councilbench.pay.catalogue import spine


@dataclass(frozen=True)
class PayFile:
    """One file written, and the truth about it: `posts` in file order from row 2."""

    council_code: str  # whose address it was written to
    pay_year: str
    path: Path
    posts: tuple[Post, ...]
    faults: tuple[str, ...] = ()
    body: str = ""  # whose posts: the council itself unless another council's file was served
    touched: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (fault, spreadsheet rows it changed)
    first_row: int = 2

    @property
    def incumbents(self) -> int:
        return sum(x.headcount for x in self.posts)

    def rows_touched(self, fault: str) -> tuple[int, ...]:
        return dict(self.touched).get(fault, ())


@dataclass
class PaySample:
    files: list[PayFile]
    pay_year: str
    seed: int
    scale: float

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]

    @property
    def post_count(self) -> int:
        return sum(len(f.posts) for f in self.files)

    @property
    def incumbents(self) -> int:
        return sum(f.incumbents for f in self.files)

    def truth_rows(self) -> Iterator[dict]:
        """One dict per post written: its true values and the faults that changed its row."""
        for f in self.files:
            by_row: dict[int, list[str]] = {}
            for fault, rows in f.touched:
                for row in rows:
                    by_row.setdefault(row, []).append(fault)
            for row, post in enumerate(f.posts, start=f.first_row):
                where = {"council_code": f.body, "file": f"{f.path.parent.name}/{f.path.name}", "row": row}
                yield where | post._asdict() | {"faults": "|".join(by_row.get(row, ()))}

    def write_truth(self, path: Path | str) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=["council_code", "file", "row", *Post._fields[1:], "faults"])
            writer.writeheader()
            writer.writerows(self.truth_rows())
        return path


def pay_path(out_dir: Path | str, council: Council, pay_year: str, *, xlsx: bool = False) -> Path:
    """<out_dir>/<short_name>/pay-<pay_year>.csv: what the registry's pay_source serves
    ({pay_base_url}/<short_name>/pay-{period}.csv). An XLSX sample (for the reader's tests)
    is pay-<pay_year>.xlsx, which that template would not serve."""
    return Path(out_dir) / council.short_name / f"pay-{pay_year}.{'xlsx' if xlsx else 'csv'}"


def build(
    code: str, pay_year: str, faults: Iterable[str] = (), *, seed: int = SEED, scale: float = 1.0, xlsx: bool = False
) -> tuple[bytes, Draft]:
    """One council's file for one pay year: its bytes and the draft (posts, cells) behind them."""
    names = list(dict.fromkeys(faults))
    unknown = [f for f in names if f not in FAULTS]
    if unknown:
        raise KeyError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    posts = council_posts(code, pay_year, seed=seed, scale=scale)
    draft = Draft(profile(code, seed), pay_year, seed, scale, posts, [cells_of(x) for x in posts], code)
    for name in sorted(names, key=lambda n: FAULTS[n].stage):
        FAULTS[name].apply(draft)
    return draft.sheet(xlsx).to_bytes(), draft


def write(
    out_dir: Path | str,
    pay_year: str,
    councils: Iterable[str] | None = None,
    *,
    seed: int = SEED,
    faults: dict[str, list[str]] | None = None,
    scale: float = 1.0,
    xlsx: bool = False,
) -> PaySample:
    """Write each council's pay deposit for the pay year and return the files with their truth.

    councils: GSS codes or short names (default all 33). faults: council -> fault names.
    scale: a share of the posts (0.01 for tests; a file keeps at least MIN_POSTS).
    """
    spine(pay_year)  # an unknown pay year fails here, in the spine's words
    chosen = [catalogue.find_council(c) for c in councils] if councils else list(catalogue.councils().values())
    fault_map = {catalogue.find_council(k).code: list(v) for k, v in (faults or {}).items()}
    missing = set(fault_map) - {c.code for c in chosen}
    if missing:
        raise ValueError(f"faults given for {', '.join(sorted(missing))}, not among the councils written")
    files = []
    for council in chosen:
        names = fault_map.get(council.code, [])
        data, draft = build(council.code, pay_year, names, seed=seed, scale=scale, xlsx=xlsx)
        path = pay_path(out_dir, council, pay_year, xlsx=xlsx)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        touched = tuple((f, tuple(i + 2 for i in sorted(set(rows)))) for f, rows in draft.touched.items())
        files.append(PayFile(council.code, pay_year, path, tuple(draft.posts), tuple(names), draft.body, touched))
    return PaySample(files, pay_year, seed, scale)


# --- measuring ---------------------------------------------------------------------------------------


def expected_posts(scale: float = 1.0, seed: int = SEED) -> dict[str, int]:
    """Posts (rows) each council's file holds at this scale, without building any."""
    return {code: post_count(code, scale, seed) for code in catalogue.councils()}


def measure(out_dir: Path | str, pay_year: str = "2025-26", seed: int = SEED) -> str:
    """Write the 33 councils' deposits at scale 1.0 and say how long it took and what they hold."""
    started = perf_counter()
    sample = write(out_dir, pay_year, seed=seed)
    seconds = perf_counter() - started
    size = sum(p.stat().st_size for p in sample.paths)
    return (
        f"{len(sample.files)} files, {sample.post_count:,} posts, {sample.incumbents:,} incumbents, "
        f"{size / 2**20:.0f} MB in {seconds:.1f} s"
    )
