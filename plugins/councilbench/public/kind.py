"""Public statistics as a source kind: the declaration the ingest lifecycle runs.

- fetch: a NOMIS dataset through the paged API client (nomis.py; every page is a fetch
  attempt of its own, the pages landed as one file), a GOV.UK table by its configured
  URL (the default fetch: conditional requests, so an unchanged release is a 304);
- parse: nomis.read_observations or spreadsheet.read_observations; a file that is not
  laid out as configured is a failed `readable` check, naming what is missing;
- validate: checks.validate, the dataset's GX suite (expectations/public_*.json) over
  the observations laid on the expected grid; a batch of one;
- raw table: raw.public_observations;
- quarantine: quarantine/<dataset id>/<period, '/' as '--'>/<sha>[.csv];
- notify: nobody (a rejected dataset fails its Airflow task, whose failure notifier
  tells the platform team).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from councilbench.ingest.checks import Verdict, overall, unreadable
from councilbench.ingest.fetch import Fetched, RetryPolicy, received_bytes
from councilbench.ingest.kind import Pending, SourceKind, Target, Wording, fetch_uri
from councilbench.ingest.ledger import Landed
from councilbench.ingest.raw import RawTable
from councilbench.public import datasets as dsets

log = logging.getLogger(__name__)

SOURCE_KIND = "public_source"

OBSERVATIONS = RawTable(
    "raw.public_observations",
    columns=("row_number", "source", "dataset", "area_code", "area_name", "period", "measure", "value", "obs_status"),
    numbers=("value",),
)


def dataset_request(dataset_id: str, ranges: dsets.Ranges) -> Target:
    """One dataset for the ranges given (NOMIS) or its configured release (GOV.UK)."""
    ds = dsets.get(dataset_id)
    request = dsets.request_for(dataset_id, ranges)
    if isinstance(ds, dsets.NomisDataset):
        from councilbench.public.nomis import query

        uri = query(ds, list(dsets.expected_areas(ds)), request.periods)
    else:
        uri = ds.url()
    return Target(dataset_id, request.period, uri, ds.title, request)


def _fetch(target: Target, *, etag=None, last_modified=None, policy=RetryPolicy(), session=None) -> Fetched:
    ds = dsets.get(target.subject)
    if not isinstance(ds, dsets.NomisDataset):
        return fetch_uri(target, etag=etag, last_modified=last_modified, policy=policy, session=session)
    from councilbench.public import nomis

    answer = nomis.fetch_dataset(
        ds, list(dsets.expected_areas(ds)), target.spec.periods, policy=policy, session=session
    )
    if answer.outcome != "received":
        return Fetched(uri=answer.uri, outcome=answer.outcome, message=answer.message, pages=answer.pages)
    for i, page in enumerate(answer.pages):  # what each page's fetch attempt says
        note = f"page {i + 1} of {len(answer.pages)}" + (
            f" after {page.attempts} attempts" if page.attempts > 1 else ""
        )
        page.message = f"{note}; {answer.message}"
    return received_bytes(
        answer.uri,
        answer.data,
        media_type="text/csv",
        original_name=f"{ds.nomis_id}.data.csv",
        message=answer.message,
        pages=answer.pages,
    )


@dataclass
class Parsed:
    observations: list[dict] | None  # None when the file could not be read as configured
    problem: str = ""


def _parse(landed: Landed, target: Target) -> Parsed:
    path, ds = landed.path, dsets.get(target.subject)
    if isinstance(ds, dsets.NomisDataset):
        from councilbench.public import nomis

        try:
            return Parsed(nomis.read_observations(ds, path))
        except nomis.NomisNameError as exc:
            return Parsed(None, str(exc))
        except nomis.NomisFormatError as exc:
            return Parsed(None, f"not a NOMIS data CSV with the columns asked for: {exc}")
    from councilbench.public import spreadsheet

    try:
        observations, info = spreadsheet.read_observations(ds, path, dsets.known_areas())
    except spreadsheet.LayoutError as exc:
        return Parsed(None, f"{ds.title}: {exc}")  # the error names the sheet or file
    except Exception as exc:  # noqa: BLE001 - a corrupt file: say so, keep it, reject it
        return Parsed(None, f"could not read the file as a spreadsheet ({type(exc).__name__}: {exc})")
    log.info("%s: %s, %s rows out of scope", ds.dataset_id, ", ".join(info["tables"]), info["rows_out_of_scope"])
    return Parsed(observations)


def _validate(items: list[Pending], context=None) -> list[Verdict]:
    from councilbench.public import checks

    verdicts = []
    for p in items:
        ds, parsed = dsets.get(p.target.subject), p.parsed
        if parsed.observations is None:
            verdicts.append(Verdict([unreadable(parsed.problem)]))
            continue
        outcomes, _ = checks.validate(
            ds, parsed.observations, expected_periods=p.target.spec.periods or None, fetch_note=p.fetch_note
        )
        rows = _rows(ds, parsed.observations) if overall(outcomes) != "fail" else None
        verdicts.append(Verdict(outcomes, rows=rows))
    return verdicts


def _rows(ds, observations: list[dict]):
    """The observations as raw.public_observations rows (row_number: their order in the
    landed file, from 1). A cell of a series outside the periods it is published for (NOMIS
    answers every combination asked for: NVQ4+ for 2023, empty) is left out when empty."""
    import pandas as pd

    numbered = [
        (i, o)
        for i, o in enumerate(observations, start=1)
        if o["value"] is not None or dsets.published(ds, o["measure"], o["period"])
    ]
    observations = [o for _, o in numbered]
    n = len(observations)
    return pd.DataFrame(
        {
            "row_number": [i for i, _ in numbered],
            "source": [ds.publisher] * n,
            "dataset": [ds.dataset_id] * n,
            "area_code": [o["area_code"] for o in observations],
            "area_name": [o["area_name"] or None for o in observations],
            "period": [o["period"] for o in observations],
            "measure": [o["measure"] for o in observations],
            "value": pd.Series([o["value"] for o in observations], dtype=object),
            "obs_status": [o["obs_status"] for o in observations],
        }
    )


def _quarantine_name(target: Target) -> tuple[str, str, str]:
    suffix = ".csv" if isinstance(dsets.get(target.subject), dsets.NomisDataset) else ""
    return target.subject, target.period.replace("/", "--"), suffix


PUBLIC = SourceKind(
    name=SOURCE_KIND,
    raw_table=OBSERVATIONS,
    parse=_parse,
    validate=_validate,
    fetch=_fetch,
    quarantine_name=_quarantine_name,
    wording=Wording(
        loaded="{rows} observations loaded ({outcome})",
        already_decided="the same answer as submission {submission_id} ({status}): nothing to do",
    ),
)
