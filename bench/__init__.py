"""Benchmarks that print figures (never assert them).

``python -m bench compare`` starts moldau and the reference brokers (Apache Kafka,
noida-db, Tansu) one at a time on 127.0.0.1, drives each with the same load generators
and writes a side-by-side table under ``bench/results/``. See docs/benchmarks.md.
"""
