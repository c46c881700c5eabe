"""Near-duplicate signatures (tasks/minhash.py), checked against datasketch's MinHash as the reference.

The texts are built here from a seeded vocabulary, so unrelated ones share almost no word 3-grams (as real
news does) and every edit is known: light edits (a wire copy retouched by another desk), heavy edits
(rewritten, cut and reordered) and unrelated pairs.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash

from tasks.stories import minhash
from tests.support.paths import ROOT

SYLLABLES = ["ka", "to", "ri", "men", "sa", "lo", "ver", "da", "ni", "por", "te", "an", "mi", "sul", "or"]
PAIRS_PER_KIND = 80


def vocabulary(size: int = 600, seed: int = 7) -> list[str]:
    r = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(r.choice(SYLLABLES) for _ in range(r.randint(1, 3))))
    return sorted(words)


VOCAB = vocabulary()


def article(r: random.Random, words: int = 300) -> list[str]:
    return [r.choice(VOCAB) for _ in range(words)]


def light_edit(r: random.Random, words: list[str]) -> list[str]:
    """Another desk's copy: a new dateline, the end trimmed, a few words changed (1 in 60 to 1 in 15)."""
    out = ["SEOUL", "Reuters"] + words[: len(words) - r.randint(0, 40)]
    for i in r.sample(range(len(out)), k=len(out) // r.randint(15, 60)):
        out[i] = r.choice(VOCAB)
    return out


def heavy_edit(r: random.Random, words: list[str]) -> list[str]:
    """Rewritten: paragraphs reordered, a quarter to a half cut, 1 word in 12 to 1 in 5 changed, new text."""
    paragraphs = [words[i : i + 50] for i in range(0, len(words), 50)]
    r.shuffle(paragraphs)
    kept = [w for p in paragraphs for w in p][: int(len(words) * r.uniform(0.5, 0.75))]
    for i in r.sample(range(len(kept)), k=len(kept) // r.randint(5, 12)):
        kept[i] = r.choice(VOCAB)
    return kept + article(r, r.randint(0, 60))


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = minhash.shingles(a), minhash.shingles(b)
    return len(sa & sb) / len(sa | sb)


def datasketch_estimate(a: str, b: str) -> float:
    sketches = []
    for text in (a, b):
        m = MinHash(num_perm=minhash.NUM_PERM, seed=1)
        m.update_batch(list(minhash.shingles(text)))
        sketches.append(m)
    return sketches[0].jaccard(sketches[1])


def pairs(kind: str, n: int = PAIRS_PER_KIND, seed: int = 1) -> list[tuple[str, str]]:
    r = random.Random(f"{kind}-{seed}")
    out = []
    for _ in range(n):
        original = article(r)
        if kind == "light":
            other = light_edit(r, original)
        elif kind == "heavy":
            other = heavy_edit(r, original)
        else:
            other = article(r)
        out.append((" ".join(original), " ".join(other)))
    return out


@pytest.fixture(scope="module")
def measured() -> dict[str, np.ndarray]:
    """Per kind of edit, one row per pair: (exact Jaccard, datasketch's estimate, our estimate)."""
    out = {}
    for kind in ("light", "heavy", "unrelated"):
        texts = pairs(kind)
        sigs = minhash.signatures([t for pair in texts for t in pair])
        out[kind] = np.array([
            (exact_jaccard(a, b), datasketch_estimate(a, b), minhash.similarity(sigs[2 * i], sigs[2 * i + 1]))
            for i, (a, b) in enumerate(texts)
        ])  # fmt: skip
    return out


def standard_error(jaccard: np.ndarray) -> np.ndarray:
    """Of a MinHash estimate with NUM_PERM independent permutations."""
    return np.sqrt(jaccard * (1 - jaccard) / minhash.NUM_PERM)


@pytest.mark.parametrize("kind", ["light", "heavy", "unrelated"])
def test_the_estimate_tracks_the_exact_jaccard_and_datasketch(measured, kind):
    exact, reference, ours = measured[kind].T
    se = standard_error(exact)
    assert np.all(np.abs(ours - exact) <= 4 * se + 0.02)
    assert np.all(np.abs(ours - reference) <= 4 * np.sqrt(2) * se + 0.03)  # two independent estimates
    assert abs(np.mean(ours - exact)) <= 0.02  # no bias
    assert abs(np.mean(ours) - np.mean(reference)) <= 0.02


def test_the_estimate_is_as_accurate_as_datasketch(measured):
    exact, reference, ours = np.concatenate(list(measured.values())).T
    rms = lambda est: float(np.sqrt(np.mean((est - exact) ** 2)))  # noqa: E731
    assert rms(ours) <= 1.2 * rms(reference)
    assert rms(ours) <= 0.05  # ~ the standard error of 128 permutations near J = 0.5


def test_grouping_decisions_agree_with_datasketch(measured):
    same = lambda est: est >= minhash.SAME_STORY_JACCARD  # noqa: E731
    light, heavy, unrelated = measured["light"], measured["heavy"], measured["unrelated"]
    assert np.all(same(light[:, 1])) and np.all(same(light[:, 2]))  # every light copy caught
    assert not np.any(same(unrelated[:, 1])) and not np.any(same(unrelated[:, 2]))  # unrelated news never
    exact, reference, ours = heavy.T
    # clear: 3 standard errors from the threshold (~0.13), where either estimate crosses it ~1 time in 700
    clear = np.abs(exact - minhash.SAME_STORY_JACCARD) >= 3 * standard_error(np.float64(minhash.SAME_STORY_JACCARD))
    assert np.array_equal(same(ours[clear]), same(reference[clear])) and clear.sum() >= 5
    assert abs(int(same(ours).sum()) - int(same(reference).sum())) <= 0.15 * len(heavy)  # caught as often


def test_light_copies_meet_in_a_band_and_unrelated_news_does_not():
    for kind, expected in (("light", True), ("unrelated", False)):
        for a, b in pairs(kind, n=20, seed=2):
            ka, kb = minhash.band_keys(minhash.signature(a)), minhash.band_keys(minhash.signature(b))
            assert any(x == y for x, y in zip(ka, kb, strict=True)) is expected


def test_a_batch_gives_each_text_its_own_signature():
    texts = [a for pair in pairs("light", n=5) for a in pair] + ["", "two words", "x", "-- !!", "one two three"]
    texts.insert(3, "")  # a text without words between others: its neighbours keep their own words
    batch = minhash.signatures(texts)
    assert batch.shape == (len(texts), minhash.NUM_PERM) and batch.dtype == np.uint64
    for text, row in zip(texts, batch, strict=True):
        assert np.array_equal(row, minhash.signature(text))
    assert minhash.signatures([]).shape == (0, minhash.NUM_PERM)


def test_short_and_empty_texts():
    assert np.all(minhash.signature("") == minhash.EMPTY)
    assert np.all(minhash.signature(" -- !! ") == minhash.EMPTY)  # no words at all
    one, two = minhash.signature("Tariffs"), minhash.signature("tariffs, again")
    assert minhash.similarity(one, minhash.signature("TARIFFS!")) == 1.0  # the same single shingle
    assert minhash.similarity(one, two) < 0.1 and np.all(two < minhash.EMPTY)


def test_a_batch_larger_than_one_hashing_pass_is_the_same():
    texts = [a for pair in pairs("heavy", n=6) for a in pair]
    whole = minhash.signatures(texts)
    assert np.array_equal(minhash.signatures(texts, batch_bytes=3000), whole)  # a few texts per pass


@pytest.mark.parametrize("a, b", [
    ("internationalisation", "internationalization"),  # differ in the third 8-byte chunk
    ("abcdefgh", "abcdefgh0"),  # a word and the same word one byte longer
    ("abcdefghabcdefgh", "abcdefgh"),  # a chunk repeated
    ("a1", "1a"),
    ("x" * 200 + "a", "x" * 200 + "b"),  # very long words, differing in the last byte
])
def test_different_words_hash_differently(a, b):
    ha, hb = minhash.shingle_hashes(a), minhash.shingle_hashes(b)
    assert len(ha) == len(hb) == 1 and ha[0] != hb[0]
    assert minhash.shingle_hashes(a.upper() + " ")[0] == ha[0]  # the same word (lower-cased, words only)


def test_a_long_text_is_the_union_of_its_parts():
    """A text longer than one vectorised block is done block by block: still the MinHash of its whole
    shingle set, i.e. the element-wise minimum over two halves that overlap by two words."""
    words = article(random.Random(3), words=3 * minhash.BLOCK_SHINGLES)
    half = len(words) // 2
    whole = minhash.signature(" ".join(words))
    parts = minhash.signatures([" ".join(words[: half + 2]), " ".join(words[half:])])
    assert np.array_equal(whole, parts.min(axis=0))


@pytest.mark.parametrize("text", [
    "Seoul's 2nd-round talks: U.S.\u2013Korea TARIFF deal (update)",
    "Caf\u00e9 na\u00efve \u0130stanbul \u212aelvin stra\u00dfe \u00c9TATS-UNIS d\u00e9j\u00e0 vu",
    "tabs\tand\nnew lines\r\nand\u00a0no-break\u2009spaces",
])  # fmt: skip
def test_the_words_are_the_reference_words(text):
    """Tokenised as the reference shingles() does: the same text re-joined from those words is identical."""
    rejoined = " ".join(re.findall(r"[a-z0-9]+", text.lower()))
    assert np.array_equal(minhash.signature(text), minhash.signature(rejoined))
    assert len(set(minhash.shingle_hashes(text).tolist())) == len(minhash.shingles(text))


# Stored signatures and bands must mean the same in every process and run: no hash(), no RNG stream.
# These values change only with the method, and then minhash.METHOD must change (stored ones are re-signed).
GOLDEN_TEXT = "South Korea and the United States agreed on Thursday to craft a package deal on tariffs."
GOLDEN_HEAD = [289921324, 91462726, 433079578, 747983407, 119514776, 464363017, 240739941, 276975565]
GOLDEN_METHOD = 2


def test_signatures_are_stable_across_processes_and_runs():
    code = f"from tasks.stories import minhash; print(minhash.signature({GOLDEN_TEXT!r})[:8].tolist())"
    root = ROOT
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                              cwd=root)  # fmt: skip
        assert done.stdout.strip() == str(GOLDEN_HEAD)
    assert minhash.signature(GOLDEN_TEXT)[:8].tolist() == GOLDEN_HEAD
    assert minhash.METHOD == GOLDEN_METHOD  # new values, new method number
