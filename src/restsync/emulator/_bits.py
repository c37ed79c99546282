"""Deterministic random bits: every generated value is a pure function of a few integers.

Nothing here keeps state, so the millionth record costs what the first one does and two
processes (the emulator serving, a test computing what it must have served) agree bit for bit.
"""

from __future__ import annotations

import hashlib

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def stable_hash(*parts: object) -> int:
    """A 64-bit hash that is the same in every process (unlike ``hash()``)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def mix64(value: int) -> int:
    """splitmix64's finaliser: spreads a counter into well-mixed 64 bits."""
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & M64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & M64
    return value ^ (value >> 31)


def scramble(bits: int, salt: int) -> int:
    """The bits of one field of a record: the record's bits mixed with the field's salt."""
    mixed = ((bits ^ salt) * GOLDEN) & M64
    return mixed ^ (mixed >> 29)


def is_null(r: int) -> bool:
    """About one in ten, from high bits the value itself barely uses."""
    return (r >> 58) % 10 == 0
