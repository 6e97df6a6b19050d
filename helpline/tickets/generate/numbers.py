"""Ticket numbers for generated history, in the shape the lifecycle draws them.

`lifecycle.opening._issue_number` draws six random digits and widens the draw by
a digit once six grow crowded. Here each width is walked through a keyed
permutation of its whole range (a small Feistel network with cycle walking), so
numbers look as random as drawn ones, never repeat within a run, and cost no
lookup. A width is used up to half its range (500,000 six-digit numbers, then
5,000,000 of seven digits, ...): the lifecycle keeps drawing six digits first, and
at half full its first draw still succeeds every other time, so new tickets
opened after the generator pay one retry on average rather than twenty.

With `--append` the existing numbers count towards each width's half, the key
changes with them (a second run does not replay the first one's sequence), and
each batch is checked against `IssuedNumber` before it is written.
"""

from __future__ import annotations

from collections.abc import Mapping

FIRST_WIDTH = 6  # lifecycle.opening.NUMBER_DIGITS
ROUNDS = 4


def _bits(size: int) -> int:
    bits = max((size - 1).bit_length(), 2)
    return bits + (bits % 2)  # two equal halves


class Permutation:
    """A keyed bijection of range(size): Feistel rounds on the smallest even
    number of bits that holds `size`, walked again while the result is outside."""

    def __init__(self, size: int, key: int) -> None:
        self.size = size
        self.half = _bits(size) // 2
        self.mask = (1 << self.half) - 1
        self.keys = [
            (key * 0x9E3779B97F4A7C15 + r * 0xBF58476D1CE4E5B9) & 0xFFFFFFFF for r in range(ROUNDS)
        ]

    def _round(self, value: int, key: int) -> int:
        x = (value * 0x85EBCA6B + key) & 0xFFFFFFFF
        x ^= x >> 13
        x = (x * 0xC2B2AE35) & 0xFFFFFFFF
        x ^= x >> 16
        return x & self.mask

    def __call__(self, index: int) -> int:
        value = index
        while True:
            left, right = value >> self.half, value & self.mask
            for key in self.keys:
                left, right = right, left ^ self._round(right, key)
            value = (left << self.half) | right
            if value < self.size:
                return value


class NumberSource:
    """Hands out numbers: `used` says how many numbers of each width exist already."""

    def __init__(self, seed: int, used: Mapping[int, int]) -> None:
        self.key = seed * 1_000_003 + sum(used.values())
        self.used = dict(used)
        self.width = FIRST_WIDTH
        self.index: dict[int, int] = {}
        self.permutation: Permutation | None = None
        self._choose_width()

    def _choose_width(self) -> None:
        while self.used.get(self.width, 0) >= 10**self.width // 2:
            self.width += 1
        self.permutation = Permutation(10**self.width, self.key + self.width)

    def next(self) -> str:
        if self.used.get(self.width, 0) >= 10**self.width // 2:
            self._choose_width()
        assert self.permutation is not None
        index = self.index.get(self.width, 0)
        self.index[self.width] = index + 1
        self.used[self.width] = self.used.get(self.width, 0) + 1
        return f"{self.permutation(index):0{self.width}d}"
