"""One generic NOMIS API client, driven by a dataset's configuration (datasets.py).

The traps of the real API, handled here:
- geography is asked for by GSS code (``geography=E08000025,E08000026,...``);
- an anonymous answer holds at most 25,000 cells and a bigger one is cut short with
  HTTP 200: every row carries RECORD_OFFSET and RECORD_COUNT, so the client compares the
  rows received with RECORD_COUNT and pages with ``RecordOffset`` until it has them all.
  A server that ignores the offset (the same first rows again) stops the paging; the
  landed file is then short and validation fails it as truncated;
- each observation carries OBS_STATUS / OBS_STATUS_NAME; a suppressed value comes as an
  empty (or non-numeric) OBS_VALUE with a status other than A (normal value): it is read
  as no value, its status kept;
- codes are the dataset's own (NM_162_1's 18-24 band is age 11): where the configuration
  says what a code must be called, a row whose X_NAME differs rejects the answer, naming
  the code and both names, so a wrong code never loads another series quietly.

The pages of one request are landed as one file: the first page as received, then each
later page without its header line, so the same answer always has the same bytes.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from councilbench.ingest.fetch import Fetched, RetryPolicy, fetch_http
from councilbench.public.datasets import NOMIS_PAGE_SIZE, NomisDataset

log = logging.getLogger(__name__)

NORMAL_STATUS = "A"


class NomisFormatError(ValueError):
    """The answer is not a NOMIS data CSV with the columns we asked for."""


class NomisNameError(NomisFormatError):
    """A code in the answer is named otherwise than the configuration expects."""


def query(
    ds: NomisDataset, areas: list[str], periods: list[str], *, offset: int = 0, base_url: str | None = None
) -> str:
    """The data URL for one page. Commas stay literal, as in NOMIS's own examples."""
    params = [("geography", ",".join(areas)), ("date", ",".join(periods))]
    params += list(ds.fixed.items())
    params.append((ds.measure_dimension, ",".join(ds.measure_codes)))
    if ds.parts_dimension:
        params.append((ds.parts_dimension, ",".join(ds.part_codes)))
    params.append(("select", ",".join(ds.select)))
    if offset:
        params += [("RecordOffset", str(offset)), ("RecordLimit", str(NOMIS_PAGE_SIZE))]
    return f"{ds.data_url(base_url)}?{urlencode(params, safe=',')}"


@dataclass
class NomisAnswer:
    """Everything one request brought back, page by page."""

    uri: str  # the first page's URL (the ledger's source_uri)
    outcome: str  # received | error | not_received
    data: bytes = b""  # the pages joined (outcome == received)
    pages: list[Fetched] = field(default_factory=list)
    record_count: int | None = None  # RECORD_COUNT the source declared
    records_received: int = 0
    message: str = ""

    @property
    def truncated(self) -> bool:
        return self.record_count is not None and self.records_received < self.record_count


def _split_page(raw: bytes) -> tuple[bytes, bytes, list[list[str]]]:
    """(header line, data bytes, parsed data rows) of one page."""
    newline = raw.find(b"\n")
    if newline < 0:
        return raw, b"", []
    head, body = raw[: newline + 1], raw[newline + 1 :]
    rows = [r for r in csv.reader(io.StringIO(body.decode("utf-8"))) if r]
    return head, body, rows


def _column(header: list[str], name: str) -> int:
    upper = [h.strip().upper() for h in header]
    try:
        return upper.index(name.upper())
    except ValueError:
        raise NomisFormatError(f"column {name.upper()} not found; columns found: {', '.join(header)}") from None


def fetch_dataset(
    ds: NomisDataset,
    areas: list[str],
    periods: list[str],
    *,
    base_url: str | None = None,
    policy: RetryPolicy = RetryPolicy(),
    max_pages: int = 200,
    session=None,
) -> NomisAnswer:
    """Fetch every page of one request (see the module docstring for the paging rules).
    `session`: an HTTP session to reuse."""
    import requests

    session = session or requests.Session()
    first_uri = query(ds, areas, periods, base_url=base_url)
    answer = NomisAnswer(uri=first_uri, outcome="received")
    header_line: bytes | None = None
    chunks: list[bytes] = []
    offset = 0
    try:
        while True:
            uri = query(ds, areas, periods, offset=offset, base_url=base_url)
            fetched = fetch_http(uri, policy=policy, session=session)
            answer.pages.append(fetched)
            if fetched.outcome != "received":
                answer.outcome = fetched.outcome
                answer.message = f"page at RecordOffset {offset}: {fetched.message}"
                return answer
            raw = Path(fetched.path).read_bytes()
            fetched.discard()
            head, body, rows = _split_page(raw)
            header = next(csv.reader(io.StringIO(head.decode("utf-8-sig"))), [])
            if header_line is None:
                header_line = head
                chunks.append(raw if raw.endswith(b"\n") or not raw else raw + b"\n")
            elif head.strip() != header_line.strip():
                answer.message = f"page at RecordOffset {offset} has different columns; paging stopped"
                break
            if not rows:
                break
            i_offset, i_count = _column(header, "RECORD_OFFSET"), _column(header, "RECORD_COUNT")
            first_offset = int(rows[0][i_offset])
            if answer.record_count is None:
                answer.record_count = int(rows[0][i_count])
            if len(answer.pages) > 1:
                if first_offset != offset:
                    answer.message = (
                        f"asked for RecordOffset {offset} and got rows from offset {first_offset}:"
                        " the source does not page; paging stopped"
                    )
                    break
                chunks.append(body if body.endswith(b"\n") else body + b"\n")
            answer.records_received += len(rows)
            if answer.records_received >= answer.record_count:
                break
            if len(answer.pages) >= max_pages:
                answer.message = f"stopped after {max_pages} pages"
                break
            offset = answer.records_received
            log.info(
                "NOMIS %s: %d of %d records received; fetching from RecordOffset %d",
                ds.nomis_id,
                answer.records_received,
                answer.record_count,
                offset,
            )
    except NomisFormatError as exc:
        answer.message = str(exc)
    answer.data = b"".join(chunks)
    if answer.truncated and not answer.message:
        answer.message = "the source stopped answering before RECORD_COUNT was reached"
    pages = len(answer.pages)
    summary = f"{answer.records_received} of {answer.record_count} records in {pages} page{'s' * (pages != 1)}"
    answer.message = f"{summary}; {answer.message}" if answer.message else summary
    return answer


# --- reading a landed answer ----------------------------------------------------------


def read_observations(ds: NomisDataset, path: Path) -> list[dict]:
    """The landed CSV as observation dicts (row_number: line in the file, header = 1).

    Raises NomisFormatError when a column we asked for is missing, NomisNameError when a
    code is not named as configured.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if not header:
            raise NomisFormatError("the answer is empty: no header row")
        dims = [d.upper() for d in ds.dimensions]
        columns = ["DATE_CODE", "GEOGRAPHY_CODE", "GEOGRAPHY_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME"]
        columns += dims + [f"{d}_NAME" for d in ds.names] + ["RECORD_OFFSET", "RECORD_COUNT"]
        idx = {name.upper(): _column(header, name) for name in columns}
        dim, part = ds.measure_dimension.upper(), (ds.parts_dimension or "").upper()
        out, misnamed = [], {}
        for line_no, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) < len(header):
                row = row + [""] * (len(header) - len(row))
            for d, expected in ds.names.items():
                code, found = row[idx[d.upper()]].strip(), row[idx[f"{d.upper()}_NAME"]].strip()
                if code in expected and _name_key(found) != _name_key(expected[code]):
                    misnamed.setdefault((d, code, expected[code], found), line_no)
            raw_value = row[idx["OBS_VALUE"]].strip()
            status = row[idx["OBS_STATUS"]].strip() or None
            if status not in (None, NORMAL_STATUS) and _number(raw_value) is None:
                raw_value = ""  # suppressed: NOMIS may put its marker ('!', '*') in the value
            out.append(
                {
                    "row_number": line_no,
                    "area_code": row[idx["GEOGRAPHY_CODE"]].strip(),
                    "area_name": row[idx["GEOGRAPHY_NAME"]].strip(),
                    "period": row[idx["DATE_CODE"]].strip(),
                    "measure": ds.measure_of(row[idx[dim]].strip(), row[idx[part]].strip() if part else None),
                    "raw_value": raw_value,
                    "value": _number(raw_value),
                    "obs_status": status,
                    "obs_status_name": row[idx["OBS_STATUS_NAME"]].strip() or None,
                    "record_offset": _int(row[idx["RECORD_OFFSET"]]),
                    "record_count": _int(row[idx["RECORD_COUNT"]]),
                }
            )
    if misnamed:
        raise NomisNameError(_misnamed_message(ds, misnamed))
    return out


def _name_key(name: str) -> str:
    """A name as compared: case, spaces and dashes ignored ('Aged 16 - 64' is 'Aged 16-64')."""
    return re.sub(r"[\s\-\u2010-\u2015]+", "", name).casefold()


def _misnamed_message(ds: NomisDataset, misnamed: dict) -> str:
    wrong = "; ".join(
        f"{d} code {code} is named '{found}' (line {line}), the configuration expects '{expected}'"
        for (d, code, expected, found), line in misnamed.items()
    )
    return (
        f"{ds.nomis_id} does not name its codes as configured for {ds.dataset_id}: {wrong}."
        " A wrong code would load another series: check the code and name in councilbench.public.datasets"
    )


def _number(text: str) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except (ValueError, AttributeError):
        return None
