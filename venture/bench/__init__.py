"""Benchmark support: a deterministic city-scale data set (``flask bench seed``).
The runner and the bare reference app live in ``bench/`` at the top of the repository."""
