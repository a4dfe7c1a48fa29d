"""Monthly council returns: a source kind of the ingest lifecycle (kind.py), its format
(contract.py, parse.py), its validation (validate.py and the modules it names), its
emails (notify.py, email_render.py, report_text.py) and its template and reminders."""
