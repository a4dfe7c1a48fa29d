"""What reading one spend file gave: the canonical lines, the findings and what was tidied.

Shaped for the ingest lifecycle (ingest/kind.py): findings are `CheckOutcome`s, the first
always the `readable` check, so a source kind's validator can put them straight into its
verdict; `notes` are the plain-English normalisations a verdict carries. Nothing here
raises for a bad file.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from councilbench.ingest.records import TableRead

# failing and quote_list are spend's words too (lines.py takes them from here).
from councilbench.ingest.words import failing as failing
from councilbench.ingest.words import quote_list as quote_list
from councilbench.ingest.words import row_list
from councilbench.spend.headers import CANONICAL_FIELDS

#: The frame's columns: the canonical fields, then where each line came from and its flags.
FRAME_COLUMNS = (*CANONICAL_FIELDS, "row_number", "redacted")


@dataclass(frozen=True)
class Normalisation:
    """One kind of tidying, counted: '12 amounts written with £' and where."""

    kind: str  # a stable name: pound, commas, title_rows, totals_dropped, redacted ...
    count: int
    words: str  # one plain-English sentence fragment, for the council and the receipt
    rows: tuple[int, ...] = ()  # the first few spreadsheet rows it applied to

    def __str__(self) -> str:
        return self.words


@dataclass
class SpendRead(TableRead):
    """One spend file read. `frame` is None when no lines could be read at all; then a
    pandas DataFrame with FRAME_COLUMNS: text fields as str ('' when blank), payment_date
    a datetime.date, amounts Decimal pounds to the penny (None when blank), card_transaction
    True/False/None, row_number the spreadsheet row, redacted a bool."""

    council_code: str | None = None
    normalisations: list[Normalisation] = field(default_factory=list)
    #: The file's numeric dates may be month first (its `dates` finding says why): read
    #: either way they cannot be trusted, so nothing is judged by them.
    dates_in_doubt: bool = False

    @property
    def notes(self) -> list[str]:
        """The normalisations in words, as an ingest Verdict carries them."""
        return [n.words for n in self.normalisations]

    def count(self, kind: str) -> int:
        return sum(n.count for n in self.normalisations if n.kind == kind)

    @property
    def line_count(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    @property
    def redacted_count(self) -> int:
        return self.count("redacted")


class Tally:
    """Counts habits row by row; turns them into Normalisations at the end."""

    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = {}
        self.examples: dict[str, str] = {}
        self.spellings: dict[str, Counter] = {}

    def add(self, kind: str, row: int, example: str | None = None) -> None:
        self.rows.setdefault(kind, []).append(row)
        if example is not None:
            self.examples.setdefault(kind, example)

    def spelling(self, kind: str, text: str) -> None:
        self.spellings.setdefault(kind, Counter())[text] += 1

    def normalisation(self, kind: str, template: str) -> Normalisation | None:
        """`template` uses {n}, {s} (plural s), {rows} and {example}."""
        rows = self.rows.get(kind)
        if not rows:
            return None
        n = len(rows)
        words = template.format(n=n, s="" if n == 1 else "s", rows=row_list(rows), example=self.examples.get(kind, ""))
        return Normalisation(kind, n, words, tuple(rows[:10]))


# --- words ----------------------------------------------------------------------------


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def field_words(name: str) -> str:
    """'net_amount' -> 'net amount': a field as the council would say it."""
    return name.replace("_", " ")
