"""GOV.UK's gender pay gap data, the dataset: what is fetched, for which reporting years,
and how the published download is read.

Every employer with 250 or more staff reports each year on the gender pay gap service
(gender-pay-gap.service.gov.uk). The download is one CSV per reporting year, every
employer's row, fetched from ``COUNCILBENCH_GPG_URL`` (``{year}``: the reporting year's
first year; GOV.UK serves ``/viewing/download-data/2024`` as
"UK Gender Pay Gap Data - 2024 to 2025.csv"), in the columns of ``PUBLISHED_COLUMNS``.

Reporting years: public bodies (councils among them) take their snapshot on 31 March
and publish within a year, so the reporting year 2024-25 is the snapshot of 31 March
2024, due by 30 March 2025 (private and voluntary employers: 5 April 2024, due 4 April
2025). The ledger period is the reporting year, ``2024-25``.

A gap is the men's figure less the women's, as a percentage of the men's: **positive
means men are paid more**, negative that women are. The quartiles are the shares of men
and of women among the employees in each quarter of the pay range (lower to top).

Councils are matched by EmployerId through the registry's ``gpg_employer_id``, never by
name (gender_pay_gap_match.py); the whole file is loaded (the columns of ``RAW_COLUMNS``:
never ResponsiblePerson, a person's name), so an id confirmed later matches at the next
dbt build without refetching.

Standard library only: the DAG file imports this module at parse time.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from councilbench.core import settings

DATASET_ID = "gender_pay_gap"
PUBLISHER = "govuk"
TITLE = "Gender pay gap data (GOV.UK gender pay gap service)"
URL_ENV = "COUNCILBENCH_GPG_URL"
#: Reporting years a run fetches when none are asked for: late submissions keep arriving
#: in earlier years' files, so the last three are looked at again (an unchanged file is a
#: no-op).
DEFAULT_YEARS = 3

#: The download's columns, in the published order.
PUBLISHED_COLUMNS = (
    "EmployerName",
    "EmployerId",
    "Address",
    "PostCode",
    "CompanyNumber",
    "SicCodes",
    "DiffMeanHourlyPercent",
    "DiffMedianHourlyPercent",
    "DiffMeanBonusPercent",
    "DiffMedianBonusPercent",
    "MaleBonusPercent",
    "FemaleBonusPercent",
    "MaleLowerQuartile",
    "FemaleLowerQuartile",
    "MaleLowerMiddleQuartile",
    "FemaleLowerMiddleQuartile",
    "MaleUpperMiddleQuartile",
    "FemaleUpperMiddleQuartile",
    "MaleTopQuartile",
    "FemaleTopQuartile",
    "CompanyLinkToGPGInfo",
    "ResponsiblePerson",
    "EmployerSize",
    "CurrentName",
    "SubmittedAfterTheDeadline",
    "DueDate",
    "DateSubmitted",
)

#: Published percentage column -> its number's name (raw table, GX frame, dbt).
PERCENT_COLUMNS = {
    "DiffMeanHourlyPercent": "diff_mean_hourly_pct",
    "DiffMedianHourlyPercent": "diff_median_hourly_pct",
    "DiffMeanBonusPercent": "diff_mean_bonus_pct",
    "DiffMedianBonusPercent": "diff_median_bonus_pct",
    "MaleBonusPercent": "male_bonus_pct",
    "FemaleBonusPercent": "female_bonus_pct",
    "MaleLowerQuartile": "male_lower_quartile_pct",
    "FemaleLowerQuartile": "female_lower_quartile_pct",
    "MaleLowerMiddleQuartile": "male_lower_middle_quartile_pct",
    "FemaleLowerMiddleQuartile": "female_lower_middle_quartile_pct",
    "MaleUpperMiddleQuartile": "male_upper_middle_quartile_pct",
    "FemaleUpperMiddleQuartile": "female_upper_middle_quartile_pct",
    "MaleTopQuartile": "male_top_quartile_pct",
    "FemaleTopQuartile": "female_top_quartile_pct",
}
QUARTILES = ("lower", "lower_middle", "upper_middle", "top")

#: Published text column -> raw column (the rest of the row as published).
TEXT_COLUMNS = {
    "EmployerId": "employer_id",
    "EmployerName": "employer_name",
    "CurrentName": "current_name",
    "CompanyNumber": "company_number",
    "SicCodes": "sic_codes",
    "EmployerSize": "employer_size",
    "CompanyLinkToGPGInfo": "link_to_gpg_info",
}

#: raw.public_gender_pay_gap, after submission_id.
RAW_COLUMNS = (
    "row_number",
    "reporting_year",
    *TEXT_COLUMNS.values(),
    *PERCENT_COLUMNS.values(),
    "submitted_after_deadline",
    "due_date",
    "date_submitted",
)


# --- reporting years --------------------------------------------------------------------

YEAR_RE = re.compile(r"^(\d{4})-(\d{2})$")


def reporting_year(first_year: int) -> str:
    """2024 -> '2024-25'."""
    return f"{first_year}-{(first_year + 1) % 100:02d}"


def first_year(label: str) -> int:
    """'2024-25' -> 2024; a label that is not YYYY-YY with consecutive years is refused."""
    m = YEAR_RE.match(label or "")
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"reporting year {label!r}: expected YYYY-YY with consecutive years, e.g. 2024-25")
    return int(m.group(1))


def latest_reporting_year(as_of: date) -> str:
    """The newest reporting year whose public-sector deadline (30 March after the
    snapshot) has passed on ``as_of``: on 31 March 2026, 2024-25 (snapshot 31 March 2024)."""
    deadline_passed = (as_of.month, as_of.day) >= (3, 31)
    return reporting_year(as_of.year - (1 if deadline_passed else 2))


def reporting_years(first: str, last: str) -> list[str]:
    a, b = first_year(first), first_year(last)
    if b < a:
        raise ValueError(f"reporting years {first}..{last}: the range ends before it starts")
    return [reporting_year(y) for y in range(a, b + 1)]


def years_from_params(params: dict | None, as_of: date) -> list[str]:
    """The DAG's gpg_year_from / gpg_year_to (empty: the DEFAULT_YEARS latest)."""
    params = params or {}
    last = params.get("gpg_year_to") or latest_reporting_year(as_of)
    first = params.get("gpg_year_from") or reporting_year(first_year(last) - (DEFAULT_YEARS - 1))
    return reporting_years(first, last)


def snapshot_date(label: str) -> date:
    """A public body's snapshot date for the reporting year: 31 March of its first year."""
    return date(first_year(label), 3, 31)


def url(label: str, template: str | None = None) -> str:
    start = first_year(label)
    return (template or settings.gpg_url()).format(year=start, end_year=start + 1)


def published_name(label: str) -> str:
    """The name GOV.UK gives the year's download."""
    start = first_year(label)
    return f"UK Gender Pay Gap Data - {start} to {start + 1}.csv"


# --- reading the download ---------------------------------------------------------------


class GpgFormatError(ValueError):
    """The landed answer is not a CSV download at all (empty, an HTML page, a zip)."""


@dataclass
class GpgFile:
    """The download as read: its header (as published, trimmed) and every employer row
    (published column -> text, None when blank), with its spreadsheet row (header = 1)."""

    header: list[str]
    rows: list[dict[str, str | None]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")  # GOV.UK's download starts with a byte-order mark
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_file(path: Path) -> GpgFile:
    raw = Path(path).read_bytes()
    head = raw[:512].lstrip().lower()
    if not raw.strip():
        raise GpgFormatError("the answer is empty")
    if head.startswith((b"<!doctype html", b"<html")):
        raise GpgFormatError("the answer is an HTML page, not the CSV download (a changed address or an error page)")
    if raw.startswith(b"PK"):
        raise GpgFormatError("the answer is a zip archive (a spreadsheet?), not the CSV download")
    reader = csv.reader(io.StringIO(_text(raw), newline=""))
    header = [h.strip() for h in next(reader, [])]
    out = GpgFile(header)
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        out.rows.append({name: (cells[i].strip() or None) for i, name in enumerate(header)})
        out.row_numbers.append(number)
    return out


# --- typed values -----------------------------------------------------------------------

NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?$")
_YMD = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?")


def number(text: str | None) -> float | None:
    """A published percentage ('12.30', '-4.0'); None when blank or not a number."""
    return float(text) if text and NUMBER_RE.match(text) else None


def flag(text: str | None) -> bool | None:
    """SubmittedAfterTheDeadline: 'True' / 'False'; None otherwise."""
    return {"true": True, "false": False}.get((text or "").lower())


def timestamp(text: str | None) -> datetime | None:
    """DueDate / DateSubmitted: '2025/03/31 00:00:00' as published (ISO and day-first
    accepted too); None when it is not a date."""
    for pattern, order in ((_YMD, (0, 1, 2)), (_DMY, (2, 1, 0))):
        m = pattern.match(text or "")
        if m:
            parts = m.groups()
            y, mo, d = (int(parts[i]) for i in order)
            h, mi, s = (int(p or 0) for p in parts[3:])
            try:
                return datetime(y, mo, d, h, mi, s)
            except ValueError:
                return None
    return None
