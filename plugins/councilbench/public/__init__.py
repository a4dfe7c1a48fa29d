"""Public statistics that put the council returns in context: NOMIS (claimant count,
mid-year population estimates) and GOV.UK statistical tables (DEFRA household waste).

Each dataset is configuration (``datasets.py``), read by one generic client per kind of
source (``nomis.py`` for the NOMIS API, ``spreadsheet.py`` for GOV.UK tables), and goes
through the ingest lifecycle a council return goes through (``kind.py`` declares it):
landed and recorded in the ledger, checked with Great Expectations (``checks.py`` +
``expectations/public_*.json``), then loaded with COPY into ``raw.public_observations``.
``load.py`` is what the DAG calls.

Nothing here imports pandas, GX or requests at module level: DAG files import it.
"""
