"""Text in, Verdict out. The one entry point the bot, the CLI, eval and bench share.

How a verdict is made:
1. the text is normalised (tricks undone) and its language detected;
2. red flags are found (phrases, links, numbers);
3. each view of the text (lexical always; sentence embeddings when a model is loaded) scores
   the 14 schemes + benign twice: a logistic-regression head trained on the knowledge-base
   examples, and the nearest examples themselves;
4. the scheme probabilities and the red flags are fused into one fraud probability, read as
   a risk level; when two schemes are close the verdict names both.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from bot.classifier.encoders import Encoder, LexicalEncoder, Matrix, ModelUnavailable, TransformerEncoder
from bot.classifier.language import detect_language
from bot.classifier.normalize import Normalized, normalize
from bot.classifier.signals import RedFlag, SignalDetector
from bot.classifier.verdict import Flag, Neighbour, Risk, SchemeScore, Verdict
from bot.config import Backend, Settings
from bot.knowledge import NOT_FRAUD, KnowledgeBase

log = logging.getLogger(__name__)

MAX_CHARS = 6000  # longer texts are cut: a fraud message shows itself well before that
RISK_LEVELS: tuple[tuple[float, Risk], ...] = ((0.85, "high"), (0.5, "medium"), (0.3, "low"))
FLAG_SCALE = 0.6  # how far red flags move the model's log-odds
AMBIGUOUS_RATIO = 0.6  # second scheme at least this close to the first: name both
KNN_K = 3
KNN_TEMPERATURE = 0.05
HEAD_WEIGHT = 0.7  # the rest goes to the nearest-examples vote


class EmptyText(ValueError):
    """There is nothing to check: no letter or digit once invisible characters are gone
    (empty, spaces, zero-width characters, an emoji flood)."""


def _knn_vote(sims: np.ndarray, group_of: np.ndarray, groups: int) -> np.ndarray:
    """Per group of examples, the mean similarity of its K nearest, softened into a distribution.

    One sort per text: walking the examples from the most similar down, each one counts if
    fewer than K of its group came before it.
    """
    votes = np.empty((sims.shape[0], groups))
    for r in range(sims.shape[0]):
        order = np.argsort(-sims[r], kind="stable")
        g = group_of[order]
        onehot = np.zeros((len(g), groups), dtype=np.int16)
        onehot[np.arange(len(g)), g] = 1
        rank = np.cumsum(onehot, axis=0)[np.arange(len(g)), g]
        keep = rank <= KNN_K
        votes[r] = np.bincount(g[keep], weights=sims[r, order][keep], minlength=groups) / KNN_K
    votes = np.exp((votes - votes.max(axis=1, keepdims=True)) / KNN_TEMPERATURE)
    return votes / votes.sum(axis=1, keepdims=True)


class _Head:
    """A logistic-regression head trained with sklearn and applied with plain numpy: the same
    arithmetic as predict_proba, without its per-call validation."""

    def __init__(self, features: Matrix, targets: np.ndarray, c: float, balanced: bool) -> None:
        model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced" if balanced else None)
        model.fit(features, targets)
        self.classes_ = model.classes_
        self._coef_t = model.coef_.T.astype(np.float32)
        self._intercept = model.intercept_.astype(np.float32)

    def predict_proba(self, features: Matrix) -> np.ndarray:
        z = np.asarray(features @ self._coef_t) + self._intercept
        if z.shape[1] == 1:  # binary: one column of log-odds for classes_[1]
            p1 = 1 / (1 + np.exp(-z[:, 0]))
            return np.column_stack([1 - p1, p1])
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


@dataclass
class _View:
    """One way of seeing texts: an encoder, the knowledge base in it, and two trained heads.

    ``fraud_head`` answers "fraud or not" (scam examples against benign ones, balanced), and
    ``scheme_head`` answers "which scheme" among scam examples only. One 15-way head would
    give benign a 1-in-15 prior and flag ordinary messages.
    """

    encoder: Encoder
    passages_t: Matrix  # the knowledge base's vectors, transposed once for fast similarity
    fraud_head: _Head
    scheme_head: _Head
    is_scam: np.ndarray  # per example: 0 benign, 1 fraud
    scheme_of: np.ndarray  # per scam example: its index in scheme_head.classes_

    @classmethod
    def train(cls, encoder: Encoder, passages: Matrix, labels: np.ndarray) -> _View:
        is_scam = ~np.isin(labels, NOT_FRAUD)
        fraud = _Head(passages, is_scam, c=10.0, balanced=True)
        scheme = _Head(passages[np.where(is_scam)[0]], labels[is_scam], c=20.0, balanced=False)
        passages_t = passages.T.tocsr() if sparse.issparse(passages) else np.ascontiguousarray(passages.T)
        scheme_of = np.searchsorted(scheme.classes_, labels[is_scam])
        return cls(encoder, passages_t, fraud, scheme, is_scam.astype(np.int64), scheme_of)

    def scores(self, query: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(P(fraud) per text, scheme distribution per text, similarity to every example)."""
        sims = query @ self.passages_t
        sims = sims.toarray() if sparse.issparse(sims) else np.asarray(sims)
        fraud_knn = _knn_vote(sims, self.is_scam, 2)[:, 1]
        fraud = HEAD_WEIGHT * self.fraud_head.predict_proba(query)[:, 1] + (1 - HEAD_WEIGHT) * fraud_knn
        scheme_knn = _knn_vote(sims[:, self.is_scam == 1], self.scheme_of, len(self.scheme_head.classes_))
        scheme = HEAD_WEIGHT * self.scheme_head.predict_proba(query) + (1 - HEAD_WEIGHT) * scheme_knn
        return fraud, scheme, sims


class Classifier:
    """Classifies texts against the knowledge base. Build once; ``classify`` is thread-safe."""

    def __init__(self, kb: KnowledgeBase, views: Sequence[_View], examples: list[tuple[str, str]]) -> None:
        self.kb = kb
        self.detector = SignalDetector(kb)
        self._views = list(views)
        self._labels = np.array([label for label, _ in examples])
        self._texts = [text for _, text in examples]
        self.schemes = self._views[0].scheme_head.classes_
        self.backend = "+".join(v.encoder.name for v in self._views)

    @classmethod
    def build(cls, kb: KnowledgeBase, settings: Settings, backend: Backend | None = None) -> Classifier:
        """Fit the classifier on ``kb``. ``backend`` overrides ``settings.backend``."""
        backend = backend or settings.backend
        pairs = kb.labelled_examples()
        norms = [normalize(ex.text) for _, ex in pairs]
        labels = np.array([label for label, _ in pairs])
        lexical = LexicalEncoder(norms)
        lex_passages = lexical.encode_passages(norms)
        views = [_View.train(lexical, lex_passages, labels)]
        if backend in ("auto", "transformer"):
            try:
                neural = TransformerEncoder(settings.model, settings.models_dir, settings.cache_dir,
                                            settings.query_prefix, settings.passage_prefix)
            except ModelUnavailable as exc:
                if backend == "transformer":
                    raise
                log.warning("%s Using the lexical backend.", exc)
            else:
                passages = neural.cached_passages(norms, kb.fingerprint)
                views.insert(0, _View.train(neural, passages, labels))
        return cls(kb, views, [(label, ex.text) for label, ex in pairs])

    def classify(self, text: str) -> Verdict:
        return self.classify_many([text])[0]

    def classify_many(self, texts: Sequence[str]) -> list[Verdict]:
        """Classify a batch (one encoder call per view). Raises EmptyText for a blank text."""
        norms = [normalize(t[:MAX_CHARS]) for t in texts]
        for norm in norms:
            if not any(ch.isalnum() for ch in norm.text):
                raise EmptyText("nothing to check: send the suspicious message or describe what happened")
        fraud = np.zeros(len(texts))
        schemes = np.zeros((len(texts), len(self.schemes)))
        sims_first = None
        for view in self._views:
            f, sch, sims = view.scores(view.encoder.encode_queries(norms))
            fraud += f / len(self._views)
            schemes += sch / len(self._views)
            sims_first = sims if sims_first is None else sims_first
        return [
            self._verdict(norm, len(text) > MAX_CHARS, float(fraud[i]), schemes[i], sims_first[i])
            for i, (text, norm) in enumerate(zip(texts, norms))
        ]

    def _verdict(self, norm: Normalized, truncated: bool, p_fraud: float, schemes: np.ndarray,
                 sims: np.ndarray) -> Verdict:
        flags = self.detector.detect(norm)
        lang = detect_language(norm)
        p_scam = float(np.clip(p_fraud, 1e-4, 1 - 1e-4))
        logit = math.log(p_scam / (1 - p_scam)) + FLAG_SCALE * sum(f.weight for f in flags)
        fused = 1 / (1 + math.exp(-logit))
        risk: Risk = next((level for bound, level in RISK_LEVELS if fused >= bound), "none")

        order = np.argsort(schemes)[::-1]
        share = schemes[order]
        ambiguous = share[1] >= AMBIGUOUS_RATIO * share[0]
        if ambiguous and risk == "high" and share[0] < 0.4:
            risk = "medium"  # a scam, but not clearly which: do not sound surer than we are
        scheme = str(self.schemes[order[0]]) if risk != "none" else None
        alternative = str(self.schemes[order[1]]) if scheme and ambiguous else None
        confidence = fused * float(share[0]) if scheme else 1 - fused
        nearest_idx = np.argsort(sims)[-3:][::-1]
        return Verdict(
            risk=risk,
            scheme=scheme,
            alternative=alternative,
            confidence=round(float(confidence), 4),
            scam_probability=round(fused, 4),
            top=[SchemeScore(scheme=str(self.schemes[i]), score=round(float(schemes[i]), 4)) for i in order[:3]],
            red_flags=[_flag(f) for f in flags],
            language=lang.lang,
            reply_language=lang.reply_lang,
            script=lang.script,
            backend=self.backend,
            nearest=[
                Neighbour(label=str(self._labels[i]), similarity=round(float(sims[i]), 4), text=self._texts[i])
                for i in nearest_idx
            ],
            truncated=truncated,
        )


def _flag(flag: RedFlag) -> Flag:
    return Flag(id=flag.id, weight=flag.weight, quote=flag.quote, start=flag.start, end=flag.end)
