"""The one ingest lifecycle every source kind runs: fetch, land (immutable, by sha256), the
submission ledger, Great Expectations, quarantine, COPY into raw, supersede."""
