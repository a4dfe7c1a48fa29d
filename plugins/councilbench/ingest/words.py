"""The small phrases the table readers' findings are made of (spend, pay): row lists,
quoted lists, Excel column letters, and a failing check with its first rows."""

from __future__ import annotations

from councilbench.ingest.checks import CheckOutcome

#: At most this many failing rows are kept on a finding (the total is kept as well).
FAILING_ROWS_KEPT = 50


def row_list(rows: list[int], limit: int = 5) -> str:
    """'row 4', or 'rows 4, 7, 9, 12, 15 and 3 more'."""
    rows = sorted(rows)
    if len(rows) == 1:
        return f"row {rows[0]}"
    shown = ", ".join(str(r) for r in rows[:limit])
    return f"rows {shown}" + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def quote_list(items, limit: int = 12) -> str:
    """ "'a', 'b' and 'c'", with at most `limit` quoted and how many more; 'none' for none."""
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


def failing(check: str, message: str, rows: list[dict], severity: str = "fail") -> CheckOutcome:
    """A check that found `rows` wrong: the first FAILING_ROWS_KEPT of them, and the total
    when there are more."""
    return CheckOutcome(
        check,
        severity,
        severity,
        message,
        rows[:FAILING_ROWS_KEPT],
        len(rows) if len(rows) > FAILING_ROWS_KEPT else None,
    )
