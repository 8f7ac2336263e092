"""`python -m bench [STEP …]`: the full-scale benchmarks (see bench/run.py)."""

import sys

from bench.run import main

raise SystemExit(main(sys.argv[1:]))
