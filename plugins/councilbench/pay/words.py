"""The small phrases every pay message is made of: counts, row lists, quoted lists,
Excel column letters, pounds, and a failing check with its rows.

Pay sits beside returns and spend on the ingest lifecycle and reads neither, so the few
phrases they also use are written here again rather than borrowed from spend."""

from __future__ import annotations

from councilbench.ingest.checks import CheckOutcome

#: At most this many failing rows are kept on a finding (the total is kept as well).
FAILING_ROWS_KEPT = 50
SHOWN = 5  # rows named in a message


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def row_list(rows: list[int], limit: int = SHOWN) -> str:
    rows = sorted(rows)
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:limit])
    return f"rows {shown}" + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def quote_list(items, limit: int = 12) -> str:
    items = [f"'{i}'" for i in items]
    if len(items) > limit:
        items = [*items[:limit], f"{len(items) - limit} more"]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def column_letter(index: int) -> str:
    """0 -> A, 26 -> AA: how Excel names the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_words(name: str) -> str:
    """'fte_salary' -> 'FTE salary': a column as an HR lead would say it."""
    return name.replace("_", " ").replace("fte", "FTE").replace("scp", "SCP")


def pounds(x) -> str:
    return f"£{float(x):,.2f}" if float(x) != int(x) else f"£{int(x):,}"


def failing(check: str, message: str, rows: list[dict], severity: str = "fail") -> CheckOutcome:
    return CheckOutcome(
        check,
        severity,
        severity,
        message,
        rows[:FAILING_ROWS_KEPT],
        len(rows) if len(rows) > FAILING_ROWS_KEPT else None,
    )


def shown(items: list[str], total: int | None = None) -> str:
    """The first SHOWN descriptions, and how many more."""
    total = len(items) if total is None else total
    more = f" and {total - SHOWN} more" if total > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more
