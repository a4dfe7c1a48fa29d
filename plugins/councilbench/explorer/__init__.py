"""The explorer: a Streamlit web app on the marts, for council officers, members and
analysts (metric explorer, council profile, region, submissions, a self-check of a
return file, open data). It reads the warehouse as the analyst role only: the marts,
never contacts, raw rows or the ledger. `councilbench explorer` / `make explorer` runs
it on http://127.0.0.1:8501."""
