"""A bulk batch's landed files read in worker processes (lifecycle.read_landed): the same
results as reading them in-process, a file no worker could read is read again here and
fails as it would there, and a small batch never starts the workers."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from councilbench.core import catalogue
from councilbench.dev import sample_spend
from councilbench.ingest import lifecycle
from councilbench.ingest.kind import Outcome, Pending
from councilbench.ingest.ledger import Landed
from councilbench.spend.kind import SPEND, council_period

PERIOD = "2026-01"
COUNCILS = ["dudley", "walsall", "coventry"]


def _pending(path: Path, council: str) -> Pending:
    code = catalogue.find_council(council).code
    target = council_period(code, PERIOD, "http://127.0.0.1:1")
    size = path.stat().st_size if path.exists() else 0
    sha = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "0" * 64
    landed = Landed(1, sha, size, path, True, "received", path.name)
    return Pending(target, Outcome(code, PERIOD, council), landed)


@pytest.fixture(scope="module")
def spend_files(tmp_path_factory) -> list[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("parallel-reads")
    sample = sample_spend.write(folder, [PERIOD], COUNCILS, scale=0.02)
    return [(f.path, c) for f, c in zip(sample.files, COUNCILS, strict=True)]


def test_workers_read_what_reading_here_reads(spend_files, monkeypatch):
    here = [_pending(path, council) for path, council in spend_files]
    assert lifecycle.read_landed(SPEND, here) == {}
    monkeypatch.setattr(lifecycle, "PARALLEL_READ_BYTES", 0)  # this small batch is read by workers too
    workers = [_pending(path, council) for path, council in spend_files]
    cpus = len(os.sched_getaffinity(0))
    assert lifecycle._reading_workers(workers) == (min(cpus, len(workers)) if cpus > 1 else 0)
    assert lifecycle.read_landed(SPEND, workers, parallel=True) == {}
    for a, b in zip(here, workers, strict=True):
        assert a.parsed.frame is not None and len(a.parsed.frame) > 0
        assert a.parsed.frame.equals(b.parsed.frame)
        assert [c.outcome for c in a.parsed.findings] == [c.outcome for c in b.parsed.findings]
        assert a.parsed.notes == b.parsed.notes


def test_a_file_no_worker_can_open_fails_as_it_would_here(spend_files, monkeypatch, tmp_path):
    monkeypatch.setattr(lifecycle, "PARALLEL_READ_BYTES", 0)
    good = [_pending(path, council) for path, council in spend_files]
    gone = _pending(tmp_path / "removed-after-landing.csv", "sandwell")
    failures = lifecycle.read_landed(SPEND, [*good, gone], parallel=True)
    assert list(failures) == [id(gone)]
    assert failures[id(gone)].step == "reading the landed file"
    assert isinstance(failures[id(gone)].error, FileNotFoundError)
    assert all(p.parsed is not None and p.parsed.frame is not None for p in good)


def test_a_small_batch_is_read_here(spend_files):
    pending = [_pending(path, council) for path, council in spend_files]
    assert sum(p.landed.size_bytes for p in pending) < lifecycle.PARALLEL_READ_BYTES
    assert lifecycle._reading_workers(pending) == 0
