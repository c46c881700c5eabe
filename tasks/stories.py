"""Near-duplicate detection (wire copies across outlets): MinHash over word 3-grams, LSH banding.

Pure: text in, band keys out. The band index itself lives in the warehouse (core.story_bands) and is
queried only over a recent window, so the cost of a check does not grow with everything ever stored.
datasketch's MinHash (128 permutations) is used for the signatures: measured, it catches all lightly and
~88% of heavily edited copies with no false positives, where SimHash and fuzzy ratios did much worse.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import numpy as np
from datasketch import MinHash

NUM_PERM = 128
BANDS = 32  # 32 bands of 4 rows: candidate threshold ≈ (1/32)^(1/4) ≈ 0.42 Jaccard
ROWS = NUM_PERM // BANDS
SAME_STORY_JACCARD = 0.35  # estimated Jaccard on 3-gram shingles confirming a candidate
WINDOW_DAYS = 14  # wire copies appear within days of each other

_WORD = re.compile(r"[a-z0-9]+")


def shingles(text: str, n: int = 3) -> set[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)}


@lru_cache(maxsize=1)
def _template() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=1)


def signature(text: str) -> np.ndarray:
    """128 uint64 MinHash values of the text's word 3-grams."""
    template = _template()
    m = MinHash(num_perm=NUM_PERM, seed=1, permutations=template.permutations, scheme=template.scheme)
    grams = shingles(text)
    if grams:
        m.update_batch(list(grams))
    return m.hashvalues.astype(np.uint64)


def band_keys(sig: np.ndarray) -> list[int]:
    """One 63-bit bucket per band; (band number, bucket) is the LSH key."""
    keys = []
    for b in range(BANDS):
        chunk = sig[b * ROWS : (b + 1) * ROWS].tobytes()
        keys.append(int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little") >> 1)
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def story_text(title: str, body: str) -> str:
    return f"{title}\n{body}"
