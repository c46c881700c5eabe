"""Cost of a near-duplicate signature per document: tasks.stories (numpy) against datasketch's MinHash.

    python -m bench.signatures            # 3,000 synthetic items (~650 words), and the same cut to 300 words

datasketch is the reference the tests compare with (tests/test_stories.py); it is skipped when not installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from bench.feeds import AS_OF, make_corpus
from tasks.stories import minhash


def datasketch_signature() -> Callable[[str], object] | None:
    try:
        from datasketch import MinHash
    except ImportError:
        return None
    template = MinHash(num_perm=minhash.NUM_PERM, seed=1)

    def signature(text: str):
        m = MinHash(
            num_perm=minhash.NUM_PERM, seed=1, permutations=template.permutations, scheme=template.scheme
        )
        grams = minhash.shingles(text)
        if grams:
            m.update_batch(list(grams))
        return m.hashvalues

    return signature


def per_doc_us(fn: Callable[[Sequence[str]], object], texts: Sequence[str], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - t)
    return best / len(texts) * 1e6


def main() -> int:
    from tasks.sources.feeds import parse_feed

    texts = []
    for source, body in sorted(make_corpus(60, 50).bodies().items()):
        texts += [
            minhash.story_text(it.title, it.body)
            for it in parse_feed(body, source_id=source, now=AS_OF).items
        ]
    reference = datasketch_signature()
    for label, docs in (
        ("corpus items", texts),
        ("cut to 300 words", [" ".join(t.split()[:300]) for t in texts]),
    ):
        words = sum(len(t.split()) for t in docs) / len(docs)
        print(f"{label} ({len(docs)} docs, {words:.0f} words on average), microseconds per document:")
        if reference is not None:
            print(
                f"  datasketch MinHash          {per_doc_us(lambda d: [reference(t) for t in d], docs[:1000], 1):7.0f}"
            )
        print(
            f"  minhash.signature, one each {per_doc_us(lambda d: [minhash.signature(t) for t in d], docs):7.0f}"
        )
        batches = lambda d: [minhash.signatures(d[i : i + 500]) for i in range(0, len(d), 500)]  # noqa: E731
        print(f"  minhash.signatures, by 500  {per_doc_us(batches, docs):7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
