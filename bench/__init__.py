"""Benchmarks: each figure measured beside its ceiling or peer on the same data, in the same run.
``python -m bench.suite`` runs them all and writes bench/RESULTS.md."""
