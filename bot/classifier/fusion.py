"""A learned fusion of the classifier's views, trained on out-of-fold predictions.

Why learned: hand-set weights (how far a red flag moves the odds, how much the nearest
examples count next to a head, where "high" begins) were tuned for one view and broke when a
second one came in: with a real embedding model the false-positive rate doubled. Here every
weight is fitted, and every threshold is read off predictions the model made for examples it
had not seen.

How:

1. **Grouped folds.** Knowledge-base examples are written in families (one script, a few
   rewordings). If one rewording sits in the training part and another in the held-out part,
   the held-out score is a memory test. Examples are joined into a group when their lexical
   cosine similarity is at least ``GROUP_SIMILARITY`` (transitively, union-find), and
   ``GroupKFold`` keeps each group on one side.
2. **Out-of-fold view outputs.** For each fold, each view's heads are trained on the other
   folds and score the held-out examples; nearest-example votes look only at the other folds.
3. **Two small stackers** on those outputs:
   * the *kind* stacker (multinomial logistic regression: scam / benign / fraud_warning) over
     each view's head probabilities, its nearest-example similarities per kind and the red
     flags. Its P(scam) is the verdict's ``scam_probability``.
   * the *scheme* stacker, a conditional logit: score(s) = Σ_j w_j · feature_j(s) + b_s over
     each view's log head probability and nearest-example similarity for scheme s. A few
     shared weights (one per feature, not per scheme) fit on ~1 000 scam examples without
     overfitting, and the weight of a similarity is its learned inverse temperature.
4. **Calibration and thresholds.** The stackers are cross-validated once more over the same
   folds (second level); on those predictions we check reliability (predicted vs observed
   scam rate per bin) and choose the risk thresholds for a stated precision of each band,
   counting each group of rewordings once (``group_weights``).
5. **Repeated.** Steps 1–4 run for ``DEALS`` different deals of the groups into folds; the
   thresholds and the report pool every deal's out-of-fold scores and the final stackers are
   fitted on every deal's out-of-fold rows, so that no single deal's luck sets the lines.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from scipy import optimize, sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

log = logging.getLogger(__name__)

Matrix = np.ndarray | sparse.csr_matrix

SCAM, BENIGN_KIND, WARNING_KIND = "scam", "benign", "fraud_warning"
FOLDS = 5
# The folds are dealt this many ways (repeated grouped cross-validation). One deal decides which
# hard examples sit together in a fold, and with them the thresholds: four deals of session 10's
# knowledge base put "medium" anywhere from 0.395 to 0.460, and four of session 11's moved the
# real-dev recall between 0.898 and 0.939 and its Kazakh scheme accuracy between 0.667 and
# 0.778. Thresholds read off the pooled scores of three deals, and stackers fitted on the three
# deals' out-of-fold rows together, depend less on that luck; the fusion costs three times as
# long (about 35 s with the embedding model, 15 s without, on 2 cores).
DEALS = 3
GROUP_SIMILARITY = 0.5  # lexical cosine at which two examples count as rewordings of one text
KNN_K = 3
# Where the risk bands start, read off the out-of-fold scores (never off dev sets):
# * "medium" is the line between warning and not: the highest score at which the scams of
#   the knowledge base are still caught WARN_RECALL of the time (the product's recall
#   target: a missed scam costs someone their savings, a false alarm costs a second look),
#   but never where fewer than MIN_WARN_PRECISION of the warned texts are scams;
# * "high" starts where a text is a scam HIGH_PRECISION of the time *at that score*
#   (isotonic estimate of P(scam | score)): "high" is a statement about this very text;
# * "low" starts where LOW_RECALL of the scams are at least "low" (worth a second look).
WARN_RECALL = 0.98
MIN_WARN_PRECISION = 0.80
HIGH_PRECISION = 0.95
LOW_RECALL = 0.995
NOVELTY_QUANTILE = 0.03  # a text less similar to everything than 97 % of known examples are to theirs


# --- the pieces each view computes -----------------------------------------------------------

def knn_similarity(sims: np.ndarray, group_of: np.ndarray, groups: int, k: int = KNN_K) -> np.ndarray:
    """Per group, the mean similarity of its ``k`` nearest examples (0 for a missing group;
    a group with fewer than ``k`` examples is averaged over ``k`` all the same: a thin
    group should not look closer than a full one). One partial sort per group, all texts at once."""
    out = np.zeros((sims.shape[0], groups))
    for g in range(groups):
        cols = np.flatnonzero(group_of == g)
        if len(cols) == 0:
            continue
        block = sims[:, cols]
        if len(cols) > k:
            block = np.partition(block, len(cols) - k, axis=1)[:, -k:]
        out[:, g] = block.sum(axis=1) / k
    return out


class Head:
    """A linear SVM head (liblinear), applied with plain numpy.

    Its decision values, one per class, go to the stackers, which learn how far to trust
    them: the head needs no probabilities of its own. A linear SVM, not a logistic
    regression, because the fusion fits every head six times (five folds and the whole
    base): on ~70 000 sparse n-gram features and 14 schemes liblinear takes about a second
    where L-BFGS took half a minute.
    """

    def __init__(self, features: Matrix, targets: np.ndarray, c: float, balanced: bool) -> None:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.svm import LinearSVC

        model = LinearSVC(C=c, class_weight="balanced" if balanced else None, dual="auto", max_iter=5000)
        with warnings.catch_warnings():  # a loose optimum is fine for a stacker's input
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(features, targets)
        self.classes_ = model.classes_
        self._coef_t = model.coef_.T.astype(np.float32)
        self._intercept = model.intercept_.astype(np.float32)

    def decision(self, features: Matrix) -> np.ndarray:
        """(n, classes) decision values."""
        z = np.asarray(features @ self._coef_t, dtype=np.float64) + self._intercept
        return np.column_stack([-z[:, 0], z[:, 0]]) if z.shape[1] == 1 else z


MISSING_CLASS = -3.0  # decision value for a class a fold's head never saw (far on the "no" side)


@dataclass
class ViewOutput:
    """What one view says about a batch of texts."""

    kind_head: np.ndarray  # (n, kinds) the kind head's decision values
    kind_knn: np.ndarray  # (n, kinds) mean similarity of the K nearest examples of each kind
    scheme_head: np.ndarray  # (n, schemes) the scheme head's decision values (scams only)
    scheme_knn: np.ndarray  # (n, schemes) mean similarity of the K nearest examples of each scheme
    top_sim: np.ndarray  # (n,) similarity to the nearest example of any kind
    sims: np.ndarray | None = None  # (n, examples) at run time, for the nearest examples shown


@dataclass
class Labels:
    """The knowledge base's examples as integer targets."""

    kinds: list[str]  # kind names, index = kind id (scam first)
    schemes: list[str]  # scheme ids, sorted
    kind_of: np.ndarray  # (N,) kind id per example
    scheme_of: np.ndarray  # (N,) scheme id per example, -1 for examples that are not scams

    @classmethod
    def of(cls, labels: Sequence[str], not_fraud: Sequence[str]) -> Labels:
        labels = np.asarray(labels)
        present = set(labels.tolist())
        kinds = [SCAM] + [k for k in not_fraud if k in present]
        kind_of = np.array([kinds.index(lab) if lab in not_fraud else 0 for lab in labels])
        schemes = sorted({lab for lab in present if lab not in not_fraud})
        scheme_of = np.array([schemes.index(lab) if lab not in not_fraud else -1 for lab in labels])
        return cls(kinds, schemes, kind_of, scheme_of)


@dataclass
class ViewModel:
    """One view's two heads, trained on a subset of the knowledge base (the rows it may see)."""

    kind_head: Head
    scheme_head: Head
    rows: np.ndarray  # the example rows it was trained on (and may use as neighbours)

    @classmethod
    def fit(cls, passages: Matrix, labels: Labels, rows: np.ndarray, c_kind: float, c_scheme: float) -> ViewModel:
        kind = Head(passages[rows], labels.kind_of[rows], c=c_kind, balanced=True)
        scam_rows = rows[labels.scheme_of[rows] >= 0]
        scheme = Head(passages[scam_rows], labels.scheme_of[scam_rows], c=c_scheme, balanced=False)
        return cls(kind, scheme, rows)

    def output(self, query: Matrix, sims: np.ndarray, labels: Labels) -> ViewOutput:
        """``sims``: similarity of each query to the rows this model may use as neighbours."""
        n_kinds, n_schemes = len(labels.kinds), len(labels.schemes)
        kind_head = _expand(self.kind_head.decision(query), self.kind_head.classes_, n_kinds, MISSING_CLASS)
        scheme_head = _expand(self.scheme_head.decision(query), self.scheme_head.classes_, n_schemes, MISSING_CLASS)
        kinds = labels.kind_of[self.rows]
        kind_knn = knn_similarity(sims, kinds, n_kinds)
        scam = labels.scheme_of[self.rows] >= 0
        scheme_knn = knn_similarity(sims[:, scam], labels.scheme_of[self.rows][scam], n_schemes)
        top_sim = sims.max(axis=1) if sims.shape[1] else np.zeros(sims.shape[0])
        return ViewOutput(kind_head, kind_knn, scheme_head, scheme_knn, top_sim)


def _expand(values: np.ndarray, classes: np.ndarray, size: int, fill: float = 0.0) -> np.ndarray:
    """Columns for ``classes`` placed among all ``size`` classes (a fold may lack one)."""
    out = np.full((values.shape[0], size), fill)
    out[:, classes.astype(int)] = values
    return out


def dense_sims(query: Matrix, passages_t: Matrix) -> np.ndarray:
    if sparse.issparse(query) and query.shape[0] == 1:
        # One checked text: the weighted sum of its n-grams' rows of the transposed knowledge
        # base. scipy's sparse-by-sparse product first counts the result's entries in a pass of
        # its own; this reads each row once. The same sums in the same order (identical
        # similarities), 0.66 -> 0.43 ms at p95 over 1 000 knowledge texts.
        rows = passages_t[query.indices]
        return np.asarray(rows.T @ query.data)[None, :]
    sims = query @ passages_t
    return sims.toarray() if sparse.issparse(sims) else np.asarray(sims)


# --- grouping near-copies ----------------------------------------------------------------------

def similarity_groups(lexical_passages: sparse.csr_matrix, threshold: float = GROUP_SIMILARITY) -> np.ndarray:
    """A group id per example: connected components of "lexical cosine ≥ threshold"."""
    n = lexical_passages.shape[0]
    sims = (lexical_passages @ lexical_passages.T).tocoo()
    keep = (sims.data >= threshold) & (sims.row != sims.col)
    graph = sparse.coo_matrix((np.ones(int(keep.sum())), (sims.row[keep], sims.col[keep])), shape=(n, n))
    _, groups = sparse.csgraph.connected_components(graph, directed=False)
    return groups


def content_numbered(groups: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """The same groups, numbered in the order of the smallest SHA-1 of their members' keys."""
    smallest: dict[int, str] = {}
    for group, key in zip(groups.tolist(), keys):
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()
        if group not in smallest or digest < smallest[group]:
            smallest[group] = digest
    rank = {group: i for i, group in enumerate(sorted(smallest, key=smallest.__getitem__))}
    return np.array([rank[g] for g in groups.tolist()])


def group_weights(groups: np.ndarray) -> np.ndarray:
    """Per example 1/n, n the size of its group of rewordings, scaled to a mean of 1: how much
    each example counts when the risk bands are read off the out-of-fold scores (a group once)."""
    weights = 1.0 / np.bincount(groups)[groups]
    return weights / weights.mean()


def grouped_folds(groups: np.ndarray, labels: Labels, folds: int = FOLDS,
                  keys: Sequence[str] | None = None, deal: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train rows, held-out rows) per fold; a group never straddles two sides.

    ``keys``, one stable text per example (its normalised text): the groups are numbered by
    their content before they are dealt into folds, so the folds depend on what the knowledge
    base says and not on the order its files list it in. Without that, moving 90 examples from
    one YAML file to another dealt the groups differently, moved the risk thresholds and, with
    them, the dev sets' false-positive rate by two texts.

    ``deal`` (with ``keys``): another, equally content-defined way to deal the same groups (the
    keys are salted with the deal's number), for repeated cross-validation (DEALS)."""
    if keys is not None:
        groups = content_numbered(groups, [f"{deal}:{k}" for k in keys] if deal else keys)
    n_folds = min(folds, len(np.unique(groups)))
    strata = labels.kind_of * 100 + np.maximum(labels.scheme_of, 0)
    splitter = GroupKFold(n_splits=n_folds)
    return [(train, test) for train, test in splitter.split(np.zeros(len(groups)), strata, groups)]


def repeated_folds(groups: np.ndarray, labels: Labels, keys: Sequence[str], deals: int = DEALS,
                   folds: int = FOLDS) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    """``deals`` different grouped fold splits of the same examples (see DEALS); the first is
    `grouped_folds` with the plain keys."""
    return [grouped_folds(groups, labels, folds, keys=keys, deal=d) for d in range(deals)]


# --- the stackers ------------------------------------------------------------------------------

def kind_features(outputs: Sequence[ViewOutput], flags: np.ndarray, n_kinds: int) -> np.ndarray:
    """The kind stacker's inputs: per view the head's decision value for each kind, the
    nearest-example similarity per kind and the top similarity; then the red-flag summary
    (positive weight sum, negative weight sum, count of positive flags)."""
    cols = []
    for out in outputs:
        for k in range(n_kinds):
            cols.append(out.kind_head[:, k])
            cols.append(out.kind_knn[:, k])
        cols.append(out.top_sim)
    cols.extend(flags.T)
    return np.column_stack(cols)


class KindStacker:
    """Multinomial logistic regression on standardised stacker features."""

    def __init__(self, features: np.ndarray, kinds: np.ndarray, c: float = 1.0) -> None:
        self.mean = features.mean(axis=0)
        self.scale = features.std(axis=0) + 1e-6
        model = LogisticRegression(C=c, max_iter=5000)
        model.fit((features - self.mean) / self.scale, kinds)
        self.classes_ = model.classes_
        self._head = model

    def predict_proba(self, features: np.ndarray, n_kinds: int) -> np.ndarray:
        """sklearn's multinomial probabilities, computed with plain numpy: for one text its
        input validation cost more than the arithmetic (a tenth of the lexical path)."""
        z = (features - self.mean) / self.scale
        coef, intercept = self._head.coef_, self._head.intercept_
        if coef.shape[0] == 1:  # two kinds only: sklearn's binary model is a sigmoid
            p = 1 / (1 + np.exp(-(z @ coef[0] + intercept[0])))
            proba = np.column_stack([1 - p, p])
        else:
            logits = z @ coef.T + intercept
            logits -= logits.max(axis=1, keepdims=True)
            proba = np.exp(logits)
            proba /= proba.sum(axis=1, keepdims=True)
        return _expand(proba, self.classes_, n_kinds)


def scheme_features(outputs: Sequence[ViewOutput]) -> np.ndarray:
    """(n, schemes, features): per view, the head's decision value and the K-nearest similarity."""
    blocks = []
    for out in outputs:
        blocks.append(out.scheme_head)
        blocks.append(out.scheme_knn)
    return np.stack(blocks, axis=2)


class SchemeStacker:
    """Conditional logit: score(s) = features(s) · w + b_s, softmax over schemes, L2-regularised."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, l2: float = 1e-3) -> None:
        n, s, f = features.shape
        onehot = np.zeros((n, s))
        onehot[np.arange(n), targets] = 1

        def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = params[:f], params[f:]
            z = features @ w + b
            z -= z.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            p = np.exp(logp)
            value = -(onehot * logp).sum() / n + l2 * (params @ params)
            diff = (p - onehot) / n
            grad_w = np.einsum("ns,nsf->f", diff, features)
            grad_b = diff.sum(axis=0)
            return value, np.concatenate([grad_w, grad_b]) + 2 * l2 * params

        start = np.concatenate([np.ones(f), np.zeros(s)])
        result = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        self.w, self.b = result.x[:f], result.x[f:]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        z = features @ self.w + self.b
        z = np.exp(z - z.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)


# --- thresholds and reliability ----------------------------------------------------------------

def band_thresholds(scores: np.ndarray, is_scam: np.ndarray, weights: np.ndarray | None = None) -> dict[str, float]:
    """The lowest score of each risk band (see WARN_RECALL and the constants above it).

    ``weights`` (group_weights): recall and precision are shares of families of rewordings,
    not of copies. Officers label what people send, and people send waves: 300 reviewed copies
    of one template, all caught, would otherwise let "medium" rise until harder scams fell
    below it, while the band still claimed to catch 98 %."""
    from sklearn.isotonic import IsotonicRegression

    y = is_scam.astype(bool)
    w = np.ones(len(scores)) if weights is None else np.asarray(weights, dtype=np.float64)
    scam_order = np.argsort(scores[y], kind="stable")
    scam_scores = scores[y][scam_order]
    below = np.concatenate([[0.0], np.cumsum(w[y][scam_order])])  # weight of the scams under each one

    def recall_threshold(recall: float) -> float:
        """The highest t with P(score >= t | scam) >= recall."""
        if not len(scam_scores):
            return 1.0
        allowed = (1 - recall) * below[-1] + 1e-9  # the weight of scams that may fall below t
        return float(scam_scores[int(np.searchsorted(below, allowed, side="right")) - 1])

    order = np.argsort(scores, kind="stable")
    local = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(
        scores[order], y[order], sample_weight=w[order]).predict(scores[order])
    reached = np.where(local >= HIGH_PRECISION)[0]
    high = float(scores[order][reached[0]]) if len(reached) else 1.0
    medium = min(high, max(recall_threshold(WARN_RECALL), precision_floor(scores, y, w, MIN_WARN_PRECISION)))
    low = min(medium, recall_threshold(LOW_RECALL))
    return {"high": high, "medium": medium, "low": low}


def precision_floor(scores: np.ndarray, is_scam: np.ndarray, weights: np.ndarray, precision: float,
                    none: float = 1.0) -> float:
    """The lowest t with (weighted) precision(score >= t) >= ``precision``; ``none`` when there is none."""
    y = is_scam.astype(bool)
    order = np.argsort(-scores, kind="stable")
    cumulative = np.cumsum((weights * y)[order]) / np.cumsum(weights[order])
    ok = np.where(cumulative >= precision)[0]
    return float(scores[order][ok[-1]]) if len(ok) else none


def unfamiliar_warning_line(scores: np.ndarray, is_scam: np.ndarray, weights: np.ndarray, unfamiliar: np.ndarray,
                            medium: float) -> float:
    """The score from which a text unlike everything known and without a red flag is warned
    about (at most «medium»); below it, such a text is «I can't tell», not a guess.

    The heads extrapolate on a text far from every example: a sentence about a cat can score
    like a scam. Whether they do is measured, not assumed: out of fold, the lowest score (never
    under ``medium``) above which such texts are scams at MIN_WARN_PRECISION, the precision
    the warning line itself must keep; when none is (or there are none), never."""
    rows = unfamiliar & (scores >= medium)
    return precision_floor(scores[rows], is_scam[rows], weights[rows], MIN_WARN_PRECISION, none=math.inf)


def reliability(scores: np.ndarray, is_scam: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Predicted vs observed scam rate per score bin, and the expected calibration error."""
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (scores >= lo) & ((scores < hi) if hi < 1 else (scores <= hi))
        if inside.any():
            rows.append({"from": round(float(lo), 2), "to": round(float(hi), 2), "n": int(inside.sum()),
                         "predicted": round(float(scores[inside].mean()), 4),
                         "observed": round(float(is_scam[inside].mean()), 4)})
    return rows


def expected_calibration_error(rows: list[dict[str, float]]) -> float:
    total = sum(r["n"] for r in rows)
    return round(sum(r["n"] * abs(r["predicted"] - r["observed"]) for r in rows) / total, 4) if total else math.nan


@dataclass
class FusionReport:
    """What the out-of-fold predictions say about the fused classifier (the model card's
    training-side figures)."""

    examples: int
    groups: int
    folds: int
    thresholds: dict[str, float]
    novelty_similarity: float
    log_loss: float
    auc: float
    scheme_accuracy: float
    recall: float  # scams at medium or high
    fpr: float  # not-fraud examples at medium or high
    warning_recall: float | None  # fraud_warning examples recognised as warnings
    calibration: list[dict[str, float]] = field(default_factory=list)
    ece: float = math.nan
    seconds: float = 0.0
    scores: np.ndarray | None = field(default=None, repr=False)  # second-level OOF P(scam) per example (first deal)
    is_scam: np.ndarray | None = field(default=None, repr=False)
    deals: int = 1  # the fold splits the figures above pool (DEALS)
    unfamiliar_warning: float = math.inf  # unfamiliar_warning_line: inf when such texts are never warned about

    def summary(self) -> str:
        return (f"OOF over {self.examples} examples ({self.groups} groups, {self.folds} folds, {self.deals} deals): "
                f"log-loss {self.log_loss:.4f}, AUC {self.auc:.4f}, recall {self.recall:.3f}, "
                f"FPR {self.fpr:.3f}, scheme {self.scheme_accuracy:.3f}, ECE {self.ece:.3f}"
                + (f", warnings recognised {self.warning_recall:.3f}" if self.warning_recall is not None else ""))


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic, ties count half)."""
    from scipy.stats import rankdata

    pos = positive.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return math.nan
    ranks = rankdata(scores)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
