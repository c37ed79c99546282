"""The cheap test that lets nearly every body skip the search for integers beyond 64 bits:
it must find every run of 19 digits or more that a regex finds, and nothing else."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from restsync.engine._integers import has_long_digit_run, may_hold_wide_integers

_RUN = re.compile(rb"[0-9]{19}")

# bodies made of digits, JSON punctuation and other bytes, so that digit runs of every length
# (the boundary at 19 included) are common
_pieces = st.one_of(
    st.binary(max_size=8),
    st.text(alphabet="0123456789", min_size=15, max_size=22).map(str.encode),
    st.sampled_from([b'{"id": ', b", ", b'"', b"-", b".", b"e"]),
)


@given(st.lists(_pieces, max_size=12).map(b"".join))
def test_a_long_digit_run_is_found_exactly_where_a_regex_finds_one(body: bytes) -> None:
    assert has_long_digit_run(body) == bool(_RUN.search(body))


def test_the_boundary_of_64_bits() -> None:
    fits = b'{"id": %d}' % (2**63 - 1)  # 19 digits, a bigint
    beyond = b'{"id": %d}' % 2**63  # 19 digits, not one
    assert has_long_digit_run(fits)
    assert not may_hold_wide_integers(fits)
    assert has_long_digit_run(beyond)
    assert may_hold_wide_integers(beyond)
    assert not has_long_digit_run(b'{"id": %d}' % 10**17)  # 18 digits
