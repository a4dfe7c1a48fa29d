"""`python -m councilbench.dev.sample_pay [DIR]`: write the 33 councils' 2025-26 deposits
at scale 1.0 and say how long it took and what they hold."""

import sys
import tempfile

from councilbench.dev.sample_pay.files import measure

with tempfile.TemporaryDirectory() as tmp:
    print(measure(sys.argv[1] if len(sys.argv) > 1 else tmp))
