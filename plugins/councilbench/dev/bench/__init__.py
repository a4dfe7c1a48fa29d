"""`make bench`: scale figures over a decade of data, each beside its target
(run.py drives it; figures.py prints and writes them; loads.py and parse_times.py
measure COPY against to_sql and the DAG files' parse times)."""
