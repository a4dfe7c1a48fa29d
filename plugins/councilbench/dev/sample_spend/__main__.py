"""`python -m councilbench.dev.sample_spend [DIR]`: write a calendar year for the 33
councils and say how long it took and what it holds."""

import sys
import tempfile

from councilbench.dev.sample_spend.files import measure_year

with tempfile.TemporaryDirectory() as tmp:
    print(measure_year(sys.argv[1] if len(sys.argv) > 1 else tmp))
