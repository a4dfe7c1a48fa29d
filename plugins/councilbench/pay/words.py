"""The small phrases every pay message is made of: counts, row lists, quoted lists,
Excel column letters, pounds, and a failing check with its rows.

The phrases pay shares with spend (row and quoted lists, column letters, a failing
check) are ingest's (ingest/words.py), named here too so pay's modules take every
phrase from one place. Counts here are written with thousands separators."""

from __future__ import annotations

from councilbench.ingest.words import column_letter as column_letter
from councilbench.ingest.words import failing as failing
from councilbench.ingest.words import quote_list as quote_list
from councilbench.ingest.words import row_list as row_list

SHOWN = 5  # rows named in a message


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def column_words(name: str) -> str:
    """'fte_salary' -> 'FTE salary': a column as an HR lead would say it."""
    return name.replace("_", " ").replace("fte", "FTE").replace("scp", "SCP")


def pounds(x) -> str:
    return f"£{float(x):,.2f}" if float(x) != int(x) else f"£{int(x):,}"


def shown(items: list[str], total: int | None = None) -> str:
    """The first SHOWN descriptions, and how many more."""
    total = len(items) if total is None else total
    more = f" and {total - SHOWN} more" if total > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more
