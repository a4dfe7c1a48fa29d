"""Public statistics that put the council returns in context: NOMIS (claimant count,
mid-year population estimates) and GOV.UK statistical tables (DEFRA household waste).

Each dataset is configuration (``datasets.py``), read by one generic client per kind of
source (``nomis.py`` for the NOMIS API, ``spreadsheet.py`` for GOV.UK tables), and goes
through the ingest lifecycle a council return goes through (``kind.py`` declares it):
landed and recorded in the ledger, checked with Great Expectations (``checks.py`` +
``expectations/public_*.json``), then loaded with COPY into ``raw.public_observations``.
``load.py`` is what the DAG calls.

GOV.UK's gender pay gap data goes through the same lifecycle with a declaration of its
own (``gender_pay_gap*.py``): a download per reporting year, every employer's row into
``raw.public_gender_pay_gap``, the councils matched by EmployerId through the registry.

Nothing here imports pandas, GX or requests at module level: DAG files import it.
"""
