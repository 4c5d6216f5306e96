"""Load generators, each runnable as ``python -m bench.loadgen.<name>``.

Every generator runs in its own subprocess so that the harness can bound it in time and
kill it if a broker stops answering; it prints exactly one JSON object as its last stdout
line: ``{"metrics": {...}}`` on success or ``{"error": "..."}`` on failure.
"""
