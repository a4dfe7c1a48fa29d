"""The one Great Expectations runner: a suite from expectations/<name>.json, one
ephemeral context per process, a pandas frame validated with suite parameters, and the
failing rows of every expectation.

GX's cost is almost all fixed per run (about 20-40 ms per expectation, whatever the row
count), so a kind that validates many files puts them in one frame and one run (a
council return's rows carry a return_key column for that). GX is imported inside the
functions: it takes 2-3 s and DAG files must stay light.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from councilbench.core import settings
from councilbench.ingest.checks import CheckOutcome

_STATE: dict = {}
#: One GX validation at a time per process. The context, its dataframe asset and GX's
#: suite-parameter parser are shared and not thread-safe: two runs at once in one process
#: (threads) could judge one file by another's rows. GX holds the GIL anyway.
_LOCK = threading.RLock()
#: The meta key run_suite tags each expectation with: its position in the suite.
POSITION = "councilbench_position"


def import_gx():
    """The great_expectations module, imported quietly: its loggers stay at WARNING so a
    backfill's log shows the platform's lines, not GX's "Created temporary directory" on
    every context. One of its modules sets its own logger to INFO when imported, so the
    level is set again afterwards as well as before."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # it logs while importing
    import great_expectations as gx

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx


def _batch_definition():
    """(great_expectations module, whole-dataframe batch definition), created once per process."""
    with _LOCK:
        if not _STATE:
            gx = import_gx()
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            asset = context.data_sources.add_pandas("ingest").add_dataframe_asset("landed_rows")
            _STATE["gx"] = gx
            _STATE["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_frame")
        return _STATE["gx"], _STATE["batch_definition"]


def suite_path(name: str) -> Path:
    return settings.expectations_dir() / f"{name}.json"


def load_suite(name: str) -> dict:
    """A suite as its JSON (expectations/<name>.json): what run_suite takes."""
    with open(suite_path(name), encoding="utf-8") as f:
        return json.load(f)


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation of the suite, and the rows that fail it."""

    expectation: dict  # the suite's entry: type, kwargs, meta
    success: bool
    #: The failing rows: dicts of the index columns' values when run_suite was given
    #: index_columns, else the frame's index labels.
    failing: list = field(default_factory=list)

    @property
    def meta(self) -> dict:
        return self.expectation.get("meta") or {}


def run_suite(
    frame, suite: dict, parameters: dict | None = None, *, index_columns: list[str] | None = None
) -> list[ExpectationResult]:
    """Validate the frame against the suite: one result per expectation, in suite order.

    Two passes: pass/fail for every expectation is cheap (most files pass everything);
    the failing rows (COMPLETE) only for the expectations that failed. An expectation that
    could not run is the platform's fault, never the file's: it raises.
    """
    # GX does not keep the suite's order in its results: each expectation carries its
    # position in meta, so every result maps back to its expectation.
    tagged = [dict(e, meta={**(e.get("meta") or {}), POSITION: i}) for i, e in enumerate(suite["expectations"])]
    results = [ExpectationResult(e, True) for e in suite["expectations"]]
    with _LOCK:
        gx, batch_definition = _batch_definition()
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        quick = batch.validate(
            gx.ExpectationSuite(**dict(suite, expectations=tagged)),
            expectation_parameters=parameters or {},
            result_format="BOOLEAN_ONLY",
        )
        failed = sorted(_position(r) for r in quick.results if not r.success or _raised(r))
        if not failed:
            return results
        result_format = {"result_format": "COMPLETE"}
        if index_columns:
            result_format["unexpected_index_column_names"] = list(index_columns)
        complete = batch.validate(
            gx.ExpectationSuite(**dict(suite, expectations=[tagged[i] for i in failed])),
            expectation_parameters=parameters or {},
            result_format=result_format,
        )
    for r in complete.results:
        i = _position(r)
        if _raised(r):
            name = results[i].meta.get("rule") or r.expectation_config.type
            raise RuntimeError(f"expectation {name} could not run: {r.exception_info.get('exception_message')}")
        results[i] = ExpectationResult(suite["expectations"][i], r.success, r.result.get("unexpected_index_list") or [])
    return results


def _position(result) -> int:
    return result.expectation_config.meta[POSITION]


def _raised(result) -> bool:
    return bool((result.exception_info or {}).get("raised_exception"))


@dataclass
class CheckRows:
    """The expectations of one check (meta.check) taken together."""

    check: str
    severity: str  # meta.severity of its first expectation (fail when not given)
    passed: bool = True
    failing: list = field(default_factory=list)  # index labels, sorted, each once


def by_check(results: list[ExpectationResult]) -> list[CheckRows]:
    """The results grouped by meta.check, in the order the suite first names each check."""
    checks: dict[str, CheckRows] = {}
    for r in results:
        name = r.meta.get("check") or r.expectation["type"]
        group = checks.setdefault(name, CheckRows(name, r.meta.get("severity", "fail")))
        if not r.success:
            group.passed = False
            group.failing = sorted(set(group.failing) | set(r.failing))
    return list(checks.values())


def validate_frame(frame, suite: dict, parameters: dict | None = None, *, max_rows: int = 500) -> list[CheckOutcome]:
    """A kind's whole validation when its suite says it all: one CheckOutcome per check,
    worded from the notes of its first expectation, its failing rows as they are in the
    frame (with "row": the frame row, from 1)."""
    about: dict[str, str] = {}
    for e in suite["expectations"]:
        about.setdefault(_check_of(e), (e.get("meta") or {}).get("notes") or "")
    outcomes = []
    for group in by_check(run_suite(frame, suite, parameters)):
        words = f": {about[group.check]}" if about[group.check] else ""
        if group.passed:
            outcomes.append(CheckOutcome(group.check, group.severity, "pass", f"every row passes{words}"))
            continue
        rows = [{"row": int(i) + 1, **_plain(frame.loc[i].to_dict())} for i in group.failing[:max_rows]]
        count = len(group.failing)
        message = f"{count} {'row fails' if count == 1 else 'rows fail'} {group.check}{words}"
        outcomes.append(CheckOutcome(group.check, group.severity, group.severity, message, rows, count))
    return outcomes


def _check_of(expectation: dict) -> str:
    return (expectation.get("meta") or {}).get("check") or expectation["type"]


def _plain(record: dict) -> dict:
    """A frame row as JSON-ready values (None for NaN)."""
    out = {}
    for k, v in record.items():
        if hasattr(v, "item"):
            v = v.item()
        out[k] = None if isinstance(v, float) and v != v else v
    return out
