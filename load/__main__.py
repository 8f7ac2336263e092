"""`python -m load [--users N] [--time 5m] [--clean]`: the load test (see load/run.py)."""

import sys

from load.run import main

raise SystemExit(main(sys.argv[1:]))
