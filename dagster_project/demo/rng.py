"""Named, reproducible random streams and counter-based hashing."""

from __future__ import annotations

import zlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x + _GOLDEN
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def name_key(name: str) -> int:
    """Stable 32-bit key of a stream name (independent of PYTHONHASHSEED)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of independent generators derived from one seed by name."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def get(self, name: str) -> np.random.Generator:
        """A fresh generator for `name`; the same name always gives the same stream."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, name_key(name)])))

    def uniform(self, name: str, *keys: np.ndarray) -> np.ndarray:
        """Uniform [0, 1) per element, a pure function of (seed, name, keys) - order and chunking free."""
        base = np.uint64((self.seed * 0x100000001B3 + name_key(name)) & 0xFFFFFFFFFFFFFFFF)
        with np.errstate(over="ignore"):
            h = _mix(np.broadcast_to(base, np.broadcast(*keys).shape).copy())
            for key in keys:
                h = _mix(h ^ np.asarray(key).astype(np.int64).view(np.uint64))
        return (h >> _S11).astype(np.float64) * (1.0 / 9007199254740992.0)
