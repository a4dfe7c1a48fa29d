"""One random seed per test run for the property tests, printed so a failure reproduces.

The seed is COUNCILBENCH_PROPERTY_SEED when set, else drawn afresh when this module is
first imported (once per pytest process, so every property module of a run shares it).
Hypothesis tests take it with `@seed(SEED)` (settings derandomize=False); tests that draw
their own plans use `random.Random(SEED)`. Every property module prints it when it starts
(`announce`), and a failure carries it as a note under the traceback (`reproducible`):

    COUNCILBENCH_PROPERTY_SEED=1234567 .venv/bin/python -m pytest tests/returns/test_property_returns.py

reruns exactly the examples of that run (the example budgets are environment variables too:
give the same ones).
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator

ENV = "COUNCILBENCH_PROPERTY_SEED"
SEED = int(os.environ[ENV]) if os.environ.get(ENV, "").strip() else random.SystemRandom().randrange(2**32)
REPRODUCE = f"{ENV}={SEED}"


def announce(config, text: str) -> None:
    """A line in the test output even while pytest captures it (as the terminal reporter
    writes its own lines)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        reporter.write_line(text)


@contextlib.contextmanager
def reproducible(what: str) -> Iterator[None]:
    """Re-raise any failure with the seed and the command that replays it as a note."""
    try:
        yield
    except Exception as exc:
        exc.add_note(f"{what}: property seed {SEED}; rerun with {REPRODUCE} (and the same example budgets)")
        raise
