"""Validating a gender pay gap download with Great Expectations, and saying what failed.

The rules are expectations/public_gender_pay_gap.json. Its ``columns`` expectation runs
first, on the header alone: a renamed or dropped column fails naming it, and nothing
else runs (the row rules would read the wrong column, or none). The row rules then run
over every employer's row in one GX run, with the numbers, quartile totals and due year
as derived columns beside the published text.

A row rule's severity is for the councils' rows: failing on one of them rejects the
file. The same rule failing only on other employers' rows is a warning: those rows are
loaded as published (their blanks and oddities are GOV.UK's) and never become a
council's figures. ``councils_matched`` is not a row rule (a council with no row has
nothing to point at): it says which councils were not matched by EmployerId and why.
"""

from __future__ import annotations

from councilbench.ingest import expectations
from councilbench.ingest.checks import CheckOutcome, Verdict, overall
from councilbench.public import gender_pay_gap as gpg
from councilbench.public.gender_pay_gap_match import CouncilMatch, match_councils

SUITE = "public_gender_pay_gap"
COLUMNS_CHECK = "columns"
MAX_FAILING_ROWS = 500
CHECK_ORDER = [
    COLUMNS_CHECK,
    "councils_matched",
    "one_row_per_employer",
    "reporting_year",
    "values_numeric",
    "within_range",
    "quartiles_sum_to_100",
    "submitted_late_flag",
]


def validate(file: gpg.GpgFile, period: str, councils: dict) -> Verdict:
    """The checks of one year's download and, unless one failed, its rows to load."""
    suite = expectations.load_suite(SUITE)
    layout = [e for e in suite["expectations"] if e["meta"]["check"] == COLUMNS_CHECK]
    columns = _columns_outcome(file.header, layout)
    if not columns.passed:
        return Verdict([columns])
    matches = match_councils(file.rows, councils)
    frame = build_frame(file)
    rules = dict(suite, expectations=[e for e in suite["expectations"] if e not in layout])
    tolerance = float(suite["meta"]["quartile_total_tolerance"])
    params = {"due_years": [gpg.first_year(period) + 1], "total_min": 100 - tolerance, "total_max": 100 + tolerance}
    results = expectations.run_suite(frame, rules, params)
    council_of = {m.index: m.council for m in matches if m.matched}
    checks = [columns, _matched_outcome(matches)]
    checks += [_rule_outcome(check, found, frame, council_of) for check, found in _by_check(results).items()]
    checks.sort(key=lambda c: CHECK_ORDER.index(c.check) if c.check in CHECK_ORDER else len(CHECK_ORDER))
    rows = raw_rows(file, period) if overall(checks) != "fail" else None
    return Verdict(checks, rows=rows)


# --- the frame GX reads -----------------------------------------------------------------


def build_frame(file: gpg.GpgFile):
    """Every row as published (text, None when blank) plus the derived columns the suite
    describes: each percentage as a number, the quartile totals, the due year."""
    import pandas as pd

    frame = pd.DataFrame(file.rows, columns=file.header, dtype=object)
    for published, name in gpg.PERCENT_COLUMNS.items():
        frame[name] = pd.Series([gpg.number(v) for v in frame[published]], dtype="float64")
    for q in gpg.QUARTILES:
        frame[f"{q}_quartile_total"] = frame[f"male_{q}_quartile_pct"] + frame[f"female_{q}_quartile_pct"]
    due = [gpg.timestamp(v) for v in frame["DueDate"]]
    frame["due_year"] = pd.Series([d.year if d else None for d in due], dtype="Int64")
    frame["row_number"] = file.row_numbers
    return frame


def raw_rows(file: gpg.GpgFile, period: str):
    """raw.public_gender_pay_gap's rows: every employer, ResponsiblePerson never kept."""
    import pandas as pd

    def iso(text, as_date):
        t = gpg.timestamp(text)
        return None if t is None else t.date().isoformat() if as_date else t.isoformat(sep=" ")

    def flag(text):
        f = gpg.flag(text)
        return None if f is None else "true" if f else "false"

    data = {"row_number": file.row_numbers, "reporting_year": [period] * len(file.rows)}
    for published, name in gpg.TEXT_COLUMNS.items():
        data[name] = [r.get(published) for r in file.rows]
    for published, name in gpg.PERCENT_COLUMNS.items():
        data[name] = pd.Series([gpg.number(r.get(published)) for r in file.rows], dtype=object)
    data["submitted_after_deadline"] = [flag(r.get("SubmittedAfterTheDeadline")) for r in file.rows]
    data["due_date"] = [iso(r.get("DueDate"), True) for r in file.rows]
    data["date_submitted"] = [iso(r.get("DateSubmitted"), False) for r in file.rows]
    return pd.DataFrame(data, columns=list(gpg.RAW_COLUMNS))


# --- outcomes in words ------------------------------------------------------------------


def _columns_outcome(header: list[str], layout: list[dict]) -> CheckOutcome:
    import pandas as pd

    (result,) = expectations.run_suite(pd.DataFrame(columns=header), {"name": SUITE, "expectations": layout})
    if result.success:
        return CheckOutcome(COLUMNS_CHECK, "fail", "pass", "every published column is there")
    wanted = layout[0]["kwargs"]["column_set"]
    missing = [c for c in wanted if c not in header]
    unknown = [c for c in header if c not in wanted]
    message = (
        f"not laid out as the GOV.UK download: {_plural(len(missing), 'column')} missing: {', '.join(missing)}"
        + (f"; columns not in the published layout: {', '.join(unknown)}" if unknown else "")
        + f" ({len(header)} columns found)"
    )
    rows = [{"column": c, "found": "missing", "accepted": "the published column"} for c in missing]
    return CheckOutcome(COLUMNS_CHECK, "fail", "fail", message, rows)


def _matched_outcome(matches: list[CouncilMatch]) -> CheckOutcome:
    matched = [m for m in matches if m.matched]
    missed = [m for m in matches if not m.matched]
    if not missed:
        return CheckOutcome("councils_matched", "warn", "pass", f"all {len(matches)} councils matched by EmployerId")
    outcome = "fail" if not matched else "warn"  # none at all: the registry's ids or the file are wrong
    message = (
        f"{len(matched)} of {len(matches)} councils matched by EmployerId; not matched (nothing taken as theirs, "
        "never guessed by name): "
        + "; ".join(f"{m.council.name}: {m.reason}" for m in missed)
        + ". Candidates by name, for a person to confirm: councilbench gpg-match --file <the download>"
    )
    rows = [
        {"council_code": m.council.code, "council_name": m.council.name, "employer_id": m.employer_id or None}
        | {"status": m.status, "found": m.found or None, "accepted": "the council's EmployerId, in the file"}
        for m in missed
    ]
    return CheckOutcome("councils_matched", outcome, outcome, message, rows)


def _by_check(results) -> dict[str, list[tuple[dict, list]]]:
    """check -> [(expectation, failing frame labels)] in suite order."""
    out: dict[str, list] = {}
    for r in results:
        out.setdefault(r.meta["check"], []).append((r.expectation, r.failing if not r.success else []))
    return out


def _rule_outcome(check: str, found: list[tuple[dict, list]], frame, council_of: dict) -> CheckOutcome:
    severity = found[0][0]["meta"].get("severity", "fail")
    failing = [_failing_row(e, i, frame, council_of) for e, labels in found for i in labels]
    if not failing:
        return CheckOutcome(check, severity, "pass", PASS_WORDS[check])
    ours = [f for f in failing if f["council_code"]]
    shown = sorted(ours or failing, key=lambda f: f["row"])
    listing = "; ".join(_cell(f) for f in shown[:5]) + (f"; and {len(shown) - 5} more" if len(shown) > 5 else "")
    if ours:
        outcome, message = severity, f"{_plural(len(ours), 'council row')} with {FAIL_WORDS[check]}: {listing}"
    else:
        outcome = "warn"
        message = (
            f"{_plural(len(failing), 'row')} of other employers (no council's) with {FAIL_WORDS[check]}: {listing}; "
            "loaded as published, never a council's figures"
        )
    return CheckOutcome(check, severity, outcome, message, shown[:MAX_FAILING_ROWS], len(shown))


_PUBLISHED_OF = {name: published for published, name in gpg.PERCENT_COLUMNS.items()} | {"due_year": "DueDate"}


def _failing_row(expectation: dict, label, frame, council_of: dict) -> dict:
    """One failing cell, as published: the column people see in the download and its text."""
    row, meta = frame.loc[label], expectation["meta"]
    if meta["check"] == "quartiles_sum_to_100":  # rule: LowerQuartile, TopQuartile ...
        column = meta["rule"]
        found = f"{row['Male' + column]} + {row['Female' + column]}"
    else:
        column = _PUBLISHED_OF.get(expectation["kwargs"]["column"], expectation["kwargs"]["column"])
        found = row[column]
    council = council_of.get(label)
    return {
        "row": int(row["row_number"]),
        "employer_id": row["EmployerId"],
        "employer_name": row["EmployerName"],
        "council_code": council.code if council else None,
        "column": column,
        "found": found,
        "accepted": meta["accepted"],
    }


def _cell(f: dict) -> str:
    who = f"{f['employer_name'] or '?'} (EmployerId {f['employer_id'] or 'blank'}, row {f['row']})"
    found = "blank" if f["found"] is None else repr(f["found"])
    return f"{f['column']} {found} for {who}, accepted: {f['accepted']}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


FAIL_WORDS = {
    "one_row_per_employer": "no EmployerId, or one another row has too",
    "reporting_year": "a DueDate outside the reporting year asked for (the wrong year's file?)",
    "values_numeric": "a percentage blank or not a number",
    "within_range": "a percentage out of range",
    "quartiles_sum_to_100": "a quartile whose men's and women's shares do not add up to 100",
    "submitted_late_flag": "a SubmittedAfterTheDeadline other than True or False",
}
PASS_WORDS = {
    "one_row_per_employer": "one row per EmployerId",
    "reporting_year": "every DueDate falls in the reporting year asked for",
    "values_numeric": "every percentage is a number (bonus gaps blank only where no bonus was paid)",
    "within_range": "every gap at most 100 and every share between 0 and 100",
    "quartiles_sum_to_100": "every quartile's men's and women's shares add up to 100",
    "submitted_late_flag": "SubmittedAfterTheDeadline is True or False on every row",
}
