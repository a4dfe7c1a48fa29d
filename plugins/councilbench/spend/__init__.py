"""Pooled procurement spend (issue 15): every council's "spend over £500" file read into
one canonical, comparable set of payment lines, its suppliers resolved.

Reading a file: `read.read_spend(path, council_code=...)` -> `result.SpendRead` (the lines
as a frame, the findings as CheckOutcomes with `readable` first, the normalisations
counted). Underneath: headers.py (a council's headers -> canonical fields, through the
synonym and override seeds), records.py (bytes -> rows of cells, CSV or XLSX), lines.py
(rows -> typed lines and what could not be read) and values.py (one cell -> a value and
the habit it was written in).
"""
