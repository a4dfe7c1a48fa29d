"""The one ingest lifecycle every source kind runs (lifecycle.py), on a kind's declaration
(kind.py): fetch (fetch.py), land immutably by sha256 (landing.py), the submission ledger
(ledger.py, the only writer of ops.submissions), one Great Expectations runner
(expectations.py) and one check-outcome type (checks.py), quarantine, COPY into the
kind's raw table (raw.py), supersede."""
