"""The load test: `make load` (load/run.py), not in CI."""
