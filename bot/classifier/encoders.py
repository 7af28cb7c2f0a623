"""Turning texts into vectors: a lexical backend that always works, and a neural one.

Both return L2-normalised rows, so a dot product is a cosine similarity.

* ``LexicalEncoder`` — character n-gram + word TF-IDF over the folded text. It is fitted on
  the knowledge base, needs no model files and costs about a millisecond per text.
* ``TransformerEncoder`` — a sentence-transformers model (default
  ``intfloat/multilingual-e5-small``), loaded offline from a local folder, from ``models/``
  or from the Hugging Face cache. Knowledge-base embeddings are cached on disk, keyed by the
  knowledge base's fingerprint and the model's identity.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.classifier.normalize import Normalized

log = logging.getLogger(__name__)
Matrix = np.ndarray | sparse.csr_matrix


class Encoder(Protocol):
    name: str

    def encode_queries(self, texts: Sequence[Normalized]) -> Matrix: ...

    def encode_passages(self, texts: Sequence[Normalized]) -> Matrix: ...


class ModelUnavailable(RuntimeError):
    """No sentence-transformers model could be loaded; the message says where it looked."""


_NON_WORD = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


def lexical_form(norm: Normalized) -> str:
    """The folded text with punctuation removed and every digit made '0' (codes look alike)."""
    return _NON_WORD.sub(" ", _DIGIT.sub("0", norm.folded)).strip()


class _FastTfidf:
    """The transform of a fitted TfidfVectorizer (sublinear tf, idf, l2), without sklearn's
    per-call input validation, which costs more than the arithmetic for one short text."""

    def __init__(self, fitted: TfidfVectorizer) -> None:
        self.analyzer = fitted.build_analyzer()
        self.vocabulary = fitted.vocabulary_
        self.idf = fitted.idf_.astype(np.float32)
        self.size = len(self.vocabulary)

    def row(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and l2-normalised tf-idf values of one document."""
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for gram in self.analyzer(doc):
            col = vocabulary.get(gram)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        cols = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[cols]
        norm = float(np.sqrt(values @ values))
        return cols, (values / norm if norm else values)


class LexicalEncoder:
    name = "lexical"
    WORD_WEIGHT = 0.7  # word n-grams next to character n-grams

    def __init__(self, corpus: Sequence[Normalized]) -> None:
        docs = [lexical_form(n) for n in corpus]
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32)
        words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True,
                                token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
        self._chars = _FastTfidf(chars.fit(docs))
        self._words = _FastTfidf(words.fit(docs))

    def _encode(self, texts: Sequence[Normalized]) -> sparse.csr_matrix:
        """Character and word n-gram vectors side by side, the whole row l2-normalised."""
        indptr, indices, values = [0], [], []
        offset = self._chars.size
        for norm in texts:
            doc = lexical_form(norm)
            c_cols, c_vals = self._chars.row(doc)
            w_cols, w_vals = self._words.row(doc)
            row = np.concatenate([c_vals, self.WORD_WEIGHT * w_vals])
            length = float(np.sqrt(row @ row))
            indices.append(np.concatenate([c_cols, w_cols + offset]))
            values.append(row / length if length else row)
            indptr.append(indptr[-1] + len(row))
        return sparse.csr_matrix(
            (np.concatenate(values).astype(np.float32), np.concatenate(indices), np.array(indptr)),
            shape=(len(texts), offset + self._words.size))

    encode_queries = _encode
    encode_passages = _encode


def _model_identity(path_or_name: str) -> str:
    """What a cache key needs to know about a model: its name, or its folder's contents."""
    path = Path(path_or_name)
    if not path.is_dir():
        return path_or_name
    digest = hashlib.sha256(str(path.resolve()).encode())
    for file in sorted(path.rglob("*")):
        if file.is_file():
            stat = file.stat()
            digest.update(f"{file.relative_to(path)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()


def resolve_model(spec: str, models_dir: Path) -> str:
    """A local folder for ``spec`` if one exists, else the hub name (for the offline HF cache)."""
    for candidate in (Path(spec), models_dir / spec, models_dir / spec.replace("/", "__"), models_dir / spec.split("/")[-1]):
        if (candidate / "modules.json").is_file() or (candidate / "config.json").is_file():
            return str(candidate)
    return spec


class TransformerEncoder:
    def __init__(self, spec: str, models_dir: Path, cache_dir: Path,
                 query_prefix: str | None = None, passage_prefix: str | None = None) -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
        from sentence_transformers import SentenceTransformer

        self.source = resolve_model(spec, models_dir)
        try:
            self.model = SentenceTransformer(self.source, device="cpu", local_files_only=True)
        except Exception as exc:  # any loading failure means: fall back, and say why
            raise ModelUnavailable(
                f"cannot load the sentence-transformers model '{spec}' (looked in {models_dir} and the "
                f"Hugging Face cache): {type(exc).__name__}: {str(exc).splitlines()[0][:200]}. "
                "Run `make model` where the internet is reachable, or set MODEL to a local folder."
            ) from exc
        is_e5 = "e5" in spec.lower()
        self.query_prefix = query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        self.passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")
        self.cache_dir = cache_dir
        self.name = f"transformer:{spec}"
        self._identity = hashlib.sha256(
            f"{_model_identity(self.source)}|{self.query_prefix}|{self.passage_prefix}".encode()
        ).hexdigest()[:16]

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode(list(texts), batch_size=32, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def encode_queries(self, texts: Sequence[Normalized]) -> np.ndarray:
        return self._embed([self.query_prefix + n.text for n in texts])

    def encode_passages(self, texts: Sequence[Normalized]) -> np.ndarray:
        return self._embed([self.passage_prefix + n.text for n in texts])

    def cached_passages(self, texts: Sequence[Normalized], kb_fingerprint: str) -> np.ndarray:
        """Embeddings of the knowledge base, computed once per (knowledge base, model)."""
        path = self.cache_dir / f"kb-{kb_fingerprint}-{self._identity}.npy"
        if path.is_file():
            cached = np.load(path)
            if cached.shape[0] == len(texts):
                log.debug("knowledge embeddings loaded from %s", path)
                return cached
        vectors = self.encode_passages(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, vectors)
        tmp.replace(path)
        log.info("knowledge embeddings computed and cached in %s", path)
        return vectors
