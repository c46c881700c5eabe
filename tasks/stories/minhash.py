"""Near-duplicate detection (wire copies across outlets): MinHash over word 3-grams, LSH banding.

Pure: text in, signatures and band keys out. MinHash with 128 permutations catches all lightly and most
heavily edited copies with no false positives (bench/results.md). The signatures are computed with numpy, a
batch of texts at once, with the statistics of datasketch's default scheme (kept as the reference in
tests/tasks/stories/test_minhash.py):
  words      [a-z0-9]+ of the lower-cased text; shingles are word 3-grams (a shorter text is one shingle)
  word       its bytes read as little-endian 64-bit chunks (zero-padded), chained by an odd multiplier, its
             length mixed in, avalanched by the MurmurHash3 64-bit finalizer: all words of a batch at once,
             by numpy, from one buffer (the same in every process, run and platform; never Python's hash())
  shingle    its three word hashes combined with odd multipliers (mod 2^64), avalanched by the MurmurHash3
             64-bit finalizer, top 32 bits kept
  128 perms  h -> (a_k * h + b_k) mod 2^32 with a_k odd (a bijection of the 32-bit values, applied to
             well-mixed input: datasketch's "affine32", its default since 2.0); each keeps its minimum.
The constants below and the word hash are part of the stored data: METHOD names them. Change any of them (or
the tokenisation) and bump METHOD: tasks/stories/resign.py then re-signs what is stored (METHOD 1 hashed words
with CRC-32).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence

import numpy as np

METHOD = 2  # of the signatures: stored with them (core.story_method); see above
NUM_PERM = 128
BANDS = 32  # 32 bands of 4 rows: candidate threshold ≈ (1/32)^(1/4) ≈ 0.42 Jaccard
ROWS = NUM_PERM // BANDS
SAME_STORY_JACCARD = 0.35  # estimated Jaccard on 3-gram shingles confirming a candidate
WINDOW_DAYS = 14  # wire copies appear within days of each other

EMPTY = (1 << 32) - 1  # every value of the signature of a text without words (as datasketch)

_WORD = re.compile(r"[a-z0-9]+")
_ALNUM = b"abcdefghijklmnopqrstuvwxyz0123456789"
# the same words as _WORD, faster: every other byte becomes a space (UTF-8 bytes >= 0x80 are never a-z0-9)
_SPACE_OUT = bytes(c if c in _ALNUM else 0x20 for c in range(256))


def _stable_u32(label: bytes, n: int) -> list[int]:
    """n fixed pseudo-random 32-bit constants (not from a numpy RNG, whose streams may change)."""
    return [int.from_bytes(hashlib.blake2b(label + k.to_bytes(4, "little"), digest_size=4).digest(), "little")
            for k in range(n)]  # fmt: skip


_A = np.array([a | 1 for a in _stable_u32(b"tradewatch-minhash-a", NUM_PERM)], dtype=np.uint32)
_B = np.array(_stable_u32(b"tradewatch-minhash-b", NUM_PERM), dtype=np.uint32)
# a shingle's three word hashes are combined with these odd multipliers (mod 2^64), then mixed (mix64)
SHINGLE_MULTIPLIERS = tuple(np.uint64(k) for k in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9))
_K1, _K2, _K3 = SHINGLE_MULTIPLIERS
_NO_WORD = np.uint64(0x5A5A5A5A5A5A5A5A)  # stands in for the missing words of a text shorter than a shingle
BLOCK_SHINGLES = 4096  # shingles per vectorised step: a (128, 4096) uint32 block is 2 MB
BATCH_BYTES = 1 << 20  # text hashed per numpy pass (bounds the temporary arrays)
_WORD_MULT = np.uint64(0x9E3779B97F4A7C15)  # chains a long word's 8-byte chunks
_WORD_LEN = np.uint64(0xC2B2AE3D27D4EB4F)  # mixes in the word's length
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


def shingles(text: str, n: int = 3) -> set[bytes]:
    """The text's word n-grams (the reference definition: what the signature estimates Jaccard over)."""
    words = _WORD.findall(text.lower())
    if len(words) < n:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)}


def mix64(x: np.ndarray) -> np.ndarray:
    """The MurmurHash3 64-bit finalizer, in place (uint64)."""
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xC4CEB9FE1A85EC53)
    x ^= x >> np.uint64(33)
    return x


def _word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the words of these texts, all in one array, and the index of each text's first word.

    The texts' words, separated by spaces, make one byte buffer; a word is a run of non-space bytes in it.
    Each word is read through a strided view of every 8-byte window of the buffer (no copy), masked to its
    length: no Python call per word."""
    parts = [t.lower().encode("utf-8", "replace").translate(_SPACE_OUT) for t in texts]
    buf = b" " + b" ".join(parts) + b" " * 9  # a space before the first word; 8-byte windows never run out
    isword = np.frombuffer(buf, np.uint8) != 0x20
    edges = np.flatnonzero(isword[1:] != isword[:-1]) + 1  # alternately a word's start and its end
    start, end = edges[0::2], edges[1::2]
    length = end - start
    windows = np.ndarray(shape=(len(buf) - 7,), dtype="<u8", buffer=buf, strides=(1,))
    words = windows[start] & _LOW_BYTES[np.minimum(length, 8)]
    offset = 8
    longer = np.flatnonzero(length > offset)
    while len(longer):  # the next 8 bytes of words longer than `offset`
        chunk = windows[start[longer] + offset] & _LOW_BYTES[np.minimum(length[longer] - offset, 8)]
        words[longer] = words[longer] * _WORD_MULT + chunk  # wraps mod 2^64, as intended
        offset += 8
        longer = longer[length[longer] > offset]
    words ^= length.astype(np.uint64) * _WORD_LEN
    text_starts = np.cumsum([1] + [len(p) + 1 for p in parts[:-1]])  # each text's first byte in buf
    return mix64(words), np.searchsorted(start, text_starts)


def _shingles_of(words: np.ndarray) -> np.ndarray:
    """32-bit hashes of consecutive word triples (uint32), one per position."""
    x = words[:-2] * _K1 + words[1:-1] * _K2 + words[2:] * _K3  # wraps mod 2^64, as intended
    return (mix64(x) >> np.uint64(32)).astype(np.uint32)


def _shingle_batches(texts: Sequence[str], batch_bytes: int = BATCH_BYTES) -> Iterator[np.ndarray]:
    """Each text's shingle hashes (`shingle_hashes`), in order, hashed a batch of texts at a time."""
    first = 0
    while first < len(texts):
        size, last = 0, first
        while last < len(texts) and (last == first or size < batch_bytes):
            size += len(texts[last]) + 1
            last += 1
        batch = texts[first:last]
        words, starts = _word_hashes(batch)
        ends = np.append(starts[1:], len(words))
        triples = _shingles_of(words) if len(words) >= 3 else np.empty(0, np.uint32)
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            if b - a >= 3:
                yield triples[a : b - 2]
            elif b > a:  # one or two words: one shingle
                yield _shingles_of(np.concatenate([words[a:b], np.full(3 - (b - a), _NO_WORD)]))
            else:
                yield np.empty(0, dtype=np.uint32)
        first = last


def shingle_hashes(text: str) -> np.ndarray:
    """32-bit hashes (uint32) of the text's word 3-grams, one per position (repeats included)."""
    return next(_shingle_batches([text]))


def min_hashes(hashes: Sequence[np.ndarray]) -> np.ndarray:
    """Per-permutation minimum of each (non-empty) array of 32-bit shingle hashes: (len(hashes), NUM_PERM)."""
    h = np.concatenate(hashes)
    starts = np.zeros(len(hashes), dtype=np.intp)
    np.cumsum([len(x) for x in hashes[:-1]], out=starts[1:])
    phv = np.multiply(_A[:, None], h)  # (NUM_PERM, shingles) uint32; wraps mod 2^32, as intended
    phv += _B[:, None]
    return np.minimum.reduceat(phv, starts, axis=1).T  # reduced along the contiguous axis: much faster


def signatures(texts: Sequence[str], *, batch_bytes: int = BATCH_BYTES) -> np.ndarray:
    """MinHash signatures of many texts at once: shape (len(texts), NUM_PERM), uint64 values < 2^32.

    Row i is exactly `signature(texts[i])`. Work is vectorised over blocks of about BLOCK_SHINGLES shingles, the
    texts hashed `batch_bytes` of text at a time."""
    out = np.full((len(texts), NUM_PERM), EMPTY, dtype=np.uint32)
    rows: list[int] = []
    pending: list[np.ndarray] = []
    size = 0
    for i, h in enumerate(_shingle_batches(texts, batch_bytes)):
        if len(h) > BLOCK_SHINGLES:  # a very long text: its own blocks, so memory stays bounded
            for start in range(0, len(h), BLOCK_SHINGLES):
                np.minimum(out[i], min_hashes([h[start : start + BLOCK_SHINGLES]])[0], out=out[i])
            continue
        if len(h):
            rows.append(i)
            pending.append(h)
            size += len(h)
        if size >= BLOCK_SHINGLES:
            out[rows] = min_hashes(pending)
            rows, pending, size = [], [], 0
    if pending:
        out[rows] = min_hashes(pending)
    return out.astype(np.uint64)


def signature(text: str) -> np.ndarray:
    """128 uint64 MinHash values of the text's word 3-grams."""
    return signatures([text])[0]


_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_ROW_MULT = np.array([0x9E3779B97F4A7C15 * (2 * r + 1) % 2**64 for r in range(ROWS)], dtype=np.uint64)


def band_keys_matrix(matrix: np.ndarray) -> np.ndarray:
    """LSH buckets for a batch of signatures: (n, BANDS) non-negative int64, one per band. Each band's ROWS
    values are combined with distinct odd multipliers and mixed with the MurmurHash3 finaliser, so equal
    bands give equal buckets and different bands collide with probability ~2^-63."""
    rows = np.asarray(matrix, dtype=np.uint64).reshape(-1, BANDS, ROWS)
    with np.errstate(over="ignore"):
        h = (rows * _ROW_MULT).sum(axis=2, dtype=np.uint64)
        h ^= h >> np.uint64(33)
        h *= _MIX1
        h ^= h >> np.uint64(33)
        h *= _MIX2
        h ^= h >> np.uint64(33)
    return (h >> np.uint64(1)).astype(np.int64)


def band_keys(sig: np.ndarray) -> list[int]:
    """One 63-bit bucket per band of one signature; (band number, bucket) is the LSH key."""
    return band_keys_matrix(np.asarray(sig)[None, :])[0].tolist()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def story_text(title: str, body: str) -> str:
    return f"{title}\n{body}"
