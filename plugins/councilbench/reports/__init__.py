"""Reports people read, rendered from the marts: the annual *Performance of the Region*
and each council's monthly *How <council> compares* pack (HTML with inline SVG charts,
and PDF through headless Chromium), and the pack emails sent once per council and month.

Modules: data (mart queries, as the analyst), annual and packs (view models), charts
(SVG), render (Jinja2 templates report_*.html), pdf (Chromium), sending (through the
send-once outbox, ops.outbox), pipeline (what the DAG, the CLI and the demo call).
"""
