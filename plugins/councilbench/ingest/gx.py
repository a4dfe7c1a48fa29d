"""Great Expectations, imported quietly: its loggers stay at WARNING so a backfill's
log shows the platform's lines, not GX's "Created temporary directory" on every context."""

from __future__ import annotations

import logging


def import_gx():
    """The great_expectations module. One of its modules sets its own logger to INFO when
    imported, so the level is set again afterwards as well as before."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # it logs while importing
    import great_expectations as gx

    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx
