"""Benchmarks, run on demand (not tests): `python -m bench.realtimeqa`."""
