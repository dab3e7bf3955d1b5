"""Exact and near-duplicate detection: a MinHash signature of the text, and LSH band keys.

The LSH index lives in the database (table lsh_buckets: one row per band of each article),
so copies are found across runs and across crawl processes, on SQLite and PostgreSQL alike.
datasketch computes the signatures and chooses the banding for the similarity threshold;
the band keys are stored as 64-bit integers.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import TYPE_CHECKING

from newsalert.domain import Fingerprint, Tokenized

if TYPE_CHECKING:
    import numpy as np

NUM_PERM = 128
# Estimated Jaccard similarity of word 3-gram sets above which two texts are one story told
# twice (a syndicated copy with a new headline, a dropped paragraph, a credit line, light
# edits). Chosen on benchmarks/data/dedup_pairs.yaml: see benchmarks/dedup_eval.py.
SIMILARITY_THRESHOLD = 0.5
# LSH finds the candidates that are then verified against SIMILARITY_THRESHOLD. Banded for a
# lower similarity (37 bands of 3 rows), a copy at 0.55 is a candidate with probability 0.999;
# banded at 0.5 itself it would be missed one time in four.
LSH_THRESHOLD = 0.3
SHINGLE_SIZE = 3
SEED = 1


@cache
def _banding() -> list[tuple[int, int]]:
    from datasketch import MinHashLSH

    return list(MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM).hashranges)


def shingles(text: str | Tokenized) -> set[bytes]:
    words = (Tokenized.of(text) if isinstance(text, str) else text).folded
    if len(words) < SHINGLE_SIZE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + SHINGLE_SIZE]).encode() for i in range(len(words) - SHINGLE_SIZE + 1)}


def fingerprint(text: str | Tokenized) -> Fingerprint:
    # Imported here: datasketch loads numpy and scipy (about 65 MB and a second), which only
    # the workers need; storing compares signatures with the standard library (similarity).
    import numpy as np
    from datasketch import MinHash

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch(shingles(text))
    values = minhash.hashvalues.astype(np.uint64)
    bands = tuple((band, _band_key(values[start:end])) for band, (start, end) in enumerate(_banding()))
    return Fingerprint(values.tobytes(), bands)


def similarity(signature_a: bytes, signature_b: bytes) -> float:
    """The MinHash estimate of the Jaccard similarity of two texts' shingle sets: the share
    of equal hash values. (128 of them: read as they are, numpy would cost the crawl process
    14 MB for nothing.)"""
    a, b = memoryview(signature_a).cast("Q"), memoryview(signature_b).cast("Q")
    if len(a) != len(b) or not a:
        raise ValueError(f"signatures of {len(a)} and {len(b)} hash values cannot be compared")
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _band_key(values: np.ndarray) -> int:
    digest = hashlib.blake2b(values.tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits BIGINT on every backend
