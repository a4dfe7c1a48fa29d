"""No personal data in a pay deposit: the deposit is about posts, never people.

A column whose header or values hold people's names, dates of birth, employee, payroll
or staff numbers, or National Insurance numbers makes the whole file rejected (the
`personal_data` check) before anything else is judged, and NOTHING from it is loaded:
the reader drops every row it read, so no other check sees, records or words a value of
the file either.

What is looked at, column by column (every column, the ones the deposit does not know
included, since that is where such data hides):
- the header: name words ('Employee name', 'Surname', 'Forename', 'Full name', 'Post
  holder'), 'Date of birth' / 'DOB', employee, payroll, staff, personnel or assignment
  numbers ('Emp No', 'Payroll ID'), 'NI number' / 'National Insurance';
- the values: National Insurance numbers (HMRC's format: two prefix letters, six digits,
  a suffix A-D), dates that would be dates of birth (people aged 16 to 100 on 1 April of
  the pay year) in a column whose header does not say they are other dates, people's
  titles ('Mr', 'Mrs J Smith'), and, in a column the deposit does not know, names ('Jane
  Smith', 'J. Smith', 'Smith, Jane').

The message names the column, the rows and why, and never the value: "row 2 holds what
looks like a National Insurance number", not the number. The same holds for the failing
rows recorded in ops.check_results and attached to the rejection email (their `found`
says what kind of value, "not shown"). The rejection email therefore quotes no personal
value.

The landed file itself is kept, as every fetched file is (ingest/landing.py: immutable,
read-only, under its sha256 in <state>/landing/, and linked under
quarantine/<council short name>/pay-<pay year>/): the lifecycle has no retention job, so
it stays there, personal data and all, until the platform team deletes both by hand.
Nothing from it reaches the warehouse, the run's log or the email.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from councilbench.ingest.checks import CheckOutcome
from councilbench.pay.columns import header_key
from councilbench.pay.values import text
from councilbench.pay.words import column_letter, failing, plural, row_list

CHECK = "personal_data"
NAMES, BIRTH, STAFF_NUMBER, NI_NUMBER = "names", "birth", "staff_number", "ni_number"
#: What a column holds, in words: (plural for the column, one value for a row).
WHAT = {
    NAMES: ("people's names", "a person's name"),
    BIRTH: ("dates of birth", "a date of birth"),
    STAFF_NUMBER: ("employee, payroll or staff numbers", "an employee, payroll or staff number"),
    NI_NUMBER: ("National Insurance numbers", "a National Insurance number"),
}
ACCEPTED = "no personal data: one row per post, with the deposit's columns only (docs/pay_guide.md)"
AGE_RANGE = (16, 100)  # a date of birth makes its holder this old on 1 April of the pay year

# --- headers -------------------------------------------------------------------------------

_NAME_HEADERS = frozenset(
    ("name", "names", "full name", "first name", "last name", "forename", "forenames", "surname", "given name",
     "given names", "family name", "middle name", "middle names", "preferred name", "known as", "maiden name",
     "initials", "employee", "employee name", "staff name", "staff member", "worker name", "person", "person name",
     "incumbent", "incumbent name", "post holder", "postholder", "post holder name", "holder", "title first name")
)  # fmt: skip
_NAME_WORDS = frozenset(("forename", "forenames", "surname", "surnames", "firstname", "lastname", "fullname"))
_NAME_OWNERS = frozenset(("employee", "staff", "worker", "person", "incumbent", "holder", "member", "employees"))
_BIRTH = re.compile(r"\b(dob|d o b|birth|birthdate|birthday|born)\b")
_STAFF_NUMBER = re.compile(
    r"^(employee|employees|emp|staff|payroll|personnel|person|worker|assignment|pay)"
    r"\s*(number|no|num|nbr|id|ref|reference|code)$|^payroll$|^employee id number$"
)
_NI_HEADER = re.compile(r"^(ni|nino|nin)( (number|no|num|nbr))?$|national insurance")
#: A date column so headed holds other dates than births (a start date may be 1998).
_OTHER_DATES = frozenset(
    ("start", "started", "end", "ended", "appointed", "appointment", "effective", "review", "contract", "from", "to",
     "joined", "service", "hire", "hired", "commenced", "commencement", "expiry", "expires", "increment", "until")
)  # fmt: skip


def header_holds(cell: object) -> str | None:
    """What a header says its column holds, when that is personal data."""
    key = header_key(cell)
    if not key:
        return None
    words = key.split()
    if _NI_HEADER.search(key):
        return NI_NUMBER
    if _BIRTH.search(key):
        return BIRTH
    if _STAFF_NUMBER.search(key):
        return STAFF_NUMBER
    if key in _NAME_HEADERS or _NAME_WORDS & set(words):
        return NAMES
    if len(words) >= 2 and words[-1] == "name" and words[-2] in _NAME_OWNERS | {"first", "last", "full", "given"}:
        return NAMES
    return None


# --- values --------------------------------------------------------------------------------

#: HMRC's format: prefix letters never D, F, I, Q, U or V (nor O second), and never one of
#: the prefixes below; six digits; suffix A to D. Spaces anywhere are allowed.
_NI = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")
_TITLE = re.compile(r"^(mr|mrs|ms|miss|mx|dr|sir|dame)\.?(\s+\S.*)?$", re.IGNORECASE)
_INITIAL_SURNAME = re.compile(r"^[A-Z]\.?(\s*[A-Z]\.?)?\s+[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?$")
_SURNAME_FORENAME = re.compile(r"^([A-Z][a-z]+(?:[-'][A-Z][a-z]+)?),\s*([A-Z][a-z]+)$")
_WORDS = re.compile(r"^[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?(\s+[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?){1,2}$")
_TEXT_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$|^(\d{4})-(\d{2})-(\d{2})$")
#: Common first names in England and Wales (ONS baby names, 1950s-2000s): enough to tell
#: 'Jane Smith' from 'Waste Services' in a column the deposit does not know.
FORENAMES = frozenset(
    """adam alan alice alison amanda amy andrew angela ann anna anne anthony barbara ben benjamin beverley brian
    carol caroline catherine charles charlotte chloe chris christine christopher claire craig daniel darren david
    dawn deborah denise diane donna dorothy edward elaine elizabeth emily emma gary gemma george gillian graham hannah
    helen ian jack jacqueline james jane janet jason jennifer jessica joan joanne john jonathan joseph josephine joyce
    julie karen kate katherine kathleen kelly kevin kim laura lauren lee linda lisa louise lucy lynn margaret maria
    marie mark martin mary matthew michael michelle mohammed muhammad natalie neil nicholas nicola olivia patricia
    paul pauline peter philip rachel rebecca richard robert ruth ryan sally samantha sandra sarah scott sharon
    shirley simon sophie stephen steven stuart susan thomas tina tracey tracy victoria wayne william wendy yvonne
    zoe""".split()  # noqa: SIM905 - a paragraph of names reads better than 140 quoted strings
)


def _is_ni(value: str) -> bool:
    return bool(_NI.match(value.replace(" ", "").upper()))


def _as_date(cell: object) -> dt.date | None:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    m = _TEXT_DATE.match(text(cell))
    if not m:
        return None
    day, month, year = (m.group(1), m.group(2), m.group(3)) if m.group(1) else (m.group(6), m.group(5), m.group(4))
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _birth_window(pay_year: str | None) -> tuple[dt.date, dt.date]:
    year = int(pay_year[:4]) if pay_year and pay_year[:4].isdigit() else dt.date.today().year
    start = dt.date(year, 4, 1)
    return start.replace(year=year - AGE_RANGE[1]), start.replace(year=year - AGE_RANGE[0])


def _looks_like_name(value: str, known_column: bool) -> bool:
    """A person's name: a title anywhere; in a column the deposit does not know, also
    'J. Smith', 'Smith, Jane' or two or three words starting with a common first name."""
    if _TITLE.match(value):
        return True
    m = _SURNAME_FORENAME.match(value)
    if m and m.group(2).lower() in FORENAMES:
        return True
    if known_column:
        return False
    return bool(_INITIAL_SURNAME.match(value) or (_WORDS.match(value) and value.split()[0].lower() in FORENAMES))


# --- a file's columns -----------------------------------------------------------------------


@dataclass
class Finding:
    """One column holding personal data, and where it shows."""

    index: int
    header: str
    holds: str  # NAMES | BIRTH | STAFF_NUMBER | NI_NUMBER
    by_header: bool
    rows: list[int]

    def words(self) -> str:
        column, one = WHAT[self.holds]
        where = f"column {column_letter(self.index)}" + (f" '{self.header}'" if self.header else "")
        if self.by_header:
            return f"{where} holds {column} (its header says so)"
        n = len(self.rows)
        first = f"row {self.rows[0]} holds what looks like {one}"
        more = f", and {plural(n - 1, 'more row')} {'does' if n == 2 else 'do'} too ({row_list(self.rows[1:])})"
        return f"{where} holds {column}: {first}{more if n > 1 else ''}"

    def failing_rows(self, header_row: int) -> list[dict]:
        found = f"{WHAT[self.holds][1]} (not shown)"
        column = self.header or column_letter(self.index)
        if self.by_header:
            return [
                {
                    "row": header_row,
                    "column": column,
                    "found": f"a column of {WHAT[self.holds][0]}",
                    "accepted": ACCEPTED,
                }
            ]
        return [{"row": r, "column": column, "found": found, "accepted": ACCEPTED} for r in self.rows]


def _value_finding(index: int, header: str, cells: list[tuple[int, object]], known: bool, window) -> Finding | None:
    ni, names, births = [], [], []
    for row, cell in cells:
        value = text(cell)
        if not value:
            continue
        if _is_ni(value):
            ni.append(row)
        elif _looks_like_name(value, known):
            names.append(row)
        else:
            born = _as_date(cell)
            if born is not None and window[0] <= born <= window[1]:
                births.append(row)
    if ni:
        return Finding(index, header, NI_NUMBER, False, ni)
    if names:
        return Finding(index, header, NAMES, False, names)
    other_dates = bool(_OTHER_DATES & set(header_key(header).split()))
    filled = sum(1 for _, c in cells if text(c))
    if births and not other_dates and 2 * len(births) >= filled:
        return Finding(index, header, BIRTH, False, births)
    return None


def find(header: list, rows: list[tuple[int, list]], known: set[int], pay_year: str | None) -> list[Finding]:
    """The columns of the file that hold personal data. `known`: the indexes of the
    columns read as deposit columns (their values are judged a little less warily: a job
    title such as 'Grace Darling Library Assistant' is not taken for a name)."""
    width = max([len(header), *(len(cells) for _, cells in rows)], default=0)
    window = _birth_window(pay_year)
    out = []
    for i in range(width):
        title = text(header[i]) if i < len(header) else ""
        by_header = header_holds(title)
        if by_header:
            out.append(Finding(i, title, by_header, True, []))
            continue
        cells = [(rn, cells[i]) for rn, cells in rows if i < len(cells)]
        found = _value_finding(i, title, cells, i in known, window)
        if found:
            out.append(found)
    return out


def check(findings: list[Finding], header_row: int) -> CheckOutcome:
    """The `personal_data` check: passes when nothing was found."""
    if not findings:
        return CheckOutcome(
            CHECK, "fail", "pass", "No column holds names, dates of birth, employee or National Insurance numbers."
        )
    message = (
        "The file holds personal data, so it was rejected whole and nothing from it was loaded: "
        + "; ".join(f.words() for f in findings)
        + ". A pay deposit describes posts, never the people in them: delete "
        + ("this column" if len(findings) == 1 else "these columns")
        + " (or the values), keep one row per post with the columns of the template, and deposit the file again. "
        "No value from these columns is quoted here."
    )
    rows = [r for f in findings for r in f.failing_rows(header_row)]
    return failing(CHECK, message, rows)
