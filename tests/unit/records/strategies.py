"""Hypothesis strategies shared by the record-batch tests."""

from __future__ import annotations

from hypothesis import strategies as st

CODECS = [0, 1, 2, 3, 4]

blobs = st.one_of(st.none(), st.binary(max_size=300))
header_values = st.one_of(st.none(), st.binary(max_size=40))
headers = st.lists(st.tuples(st.text(max_size=12), header_values), max_size=4)
timestamps = st.integers(min_value=0, max_value=2**42)

records = st.lists(st.tuples(timestamps, blobs, blobs, headers), min_size=1, max_size=25)

producer_fields = st.one_of(
    st.just((-1, -1, -1)),
    st.tuples(st.integers(0, 2**63 - 1), st.integers(0, 2**15 - 1), st.integers(0, 2**31 - 1)),
)
