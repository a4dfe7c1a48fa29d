"""The public source tests load releases of their own (fixtures in the publishers'
layouts, edited copies, revisions): each module loads into a warehouse of its own, a copy
of the session's reference template (tests/warehouse_copy.py), never into the session
warehouse whose public figures (and so the neighbour model) other modules read."""

from __future__ import annotations

import pytest

from warehouse_copy import warehouse_copy


@pytest.fixture(scope="module")
def warehouse(request, reference_template):
    """The module's own warehouse: `db up` and the reference data built."""
    with warehouse_copy(reference_template, request.module.__name__.removeprefix("test_")) as wh:
        yield wh


@pytest.fixture(scope="module")
def reference_warehouse(warehouse):
    """The same warehouse: it holds the reference data already."""
    return warehouse
