"""What reading one pay deposit gave: the posts, the findings and what was tidied.

Shaped for the ingest lifecycle (ingest/kind.py): findings are `CheckOutcome`s, the first
always `readable`, so the kind's validator puts them straight into its verdict; `notes`
are the plain-English normalisations a verdict carries. Nothing here raises for a bad
file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from councilbench.ingest.records import TableRead
from councilbench.pay.columns import CANONICAL_COLUMNS
from councilbench.pay.words import row_list

#: The frame's columns: the spreadsheet row, then the deposit's columns.
FRAME_COLUMNS = ("row_number", *CANONICAL_COLUMNS)


@dataclass
class PayRead(TableRead):
    """One pay deposit read. `frame` is None when no post could be read, or when the file
    holds personal data (then nothing of it is kept beyond its findings). Otherwise a
    pandas DataFrame with FRAME_COLUMNS: text columns as str ('' when blank); scp_min,
    scp_max and headcount int (None when blank or unreadable); fte_salary, allowances and
    market_supplement Decimal pounds to the penny, fte Decimal to 4 places (None when
    blank or unreadable); pay_year and contract_type canonical where unambiguous."""

    normalisations: list[str] = field(default_factory=list)
    personal_data: bool = False

    @property
    def notes(self) -> list[str]:
        return list(self.normalisations)

    @property
    def post_count(self) -> int:
        return 0 if self.frame is None else len(self.frame)


#: How each habit tidied is said, counted ({n}, {s}) and placed ({rows}).
HABIT_WORDS = {
    "pound": "read {n} amount{s} written with a '£' sign ({rows})",
    "thousands": "read {n} amount{s} written with thousands separators, such as '24,413' ({rows})",
    "rounded": "rounded {n} amount{s} to the penny ({rows})",
    "percent_fte": "read {n} FTE{s} written as a percentage, '80%' as 0.8 ({rows})",
    "rounded_fte": "rounded {n} FTE{s} to four decimal places ({rows})",
    "scp_prefix": "read {n} spinal column point{s} written with 'SCP' in front, 'SCP 12' as 12 ({rows})",
    "pay_year": "wrote {n} pay year{s} in the form 2025-26 ({rows})",
    "contract_type": "read {n} contract type{s} written another way, such as 'Fixed term' as fixed_term ({rows})",
}


class Tally:
    """Counts each habit tidied, row by row; words them at the end."""

    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = {}

    def add(self, habits, row: int) -> None:
        for habit in habits:
            self.rows.setdefault(habit, []).append(row)

    def words(self) -> list[str]:
        out = []
        for habit, template in HABIT_WORDS.items():
            rows = self.rows.get(habit)
            if rows:
                n = len(rows)
                out.append(template.format(n=f"{n:,}", s="" if n == 1 else "s", rows=row_list(rows)))
        return out
