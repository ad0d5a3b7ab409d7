"""The trained model: TF-IDF over morphemes and character n-grams, a calibrated linear SVM.

scikit-learn trains it; ``LinearModel`` keeps only the numbers (vocabularies, idf, weights, Platt
calibration) and scores one text with a few numpy operations on its sparse vector, which is
~20x faster than a scikit-learn pipeline for a single message and needs no scikit-learn import
to load.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from intents.features import Morphology, char_ngrams, normalize

MORPH_WEIGHT, CHAR_WEIGHT = 1.0, 1.0
SVM_C = 0.5
MAX_CALIBRATION_FOLDS = 5

Floats = NDArray[np.float64]
Progress = Callable[[int, int], None]


@dataclass
class LinearModel:
    labels: tuple[str, ...]
    morph_vocab: dict[str, int]
    char_vocab: dict[str, int]  # indices continue after the morpheme block
    idf: Floats
    weights: NDArray[np.float32]  # (features, labels); one column when there are two labels
    intercept: Floats
    platt_a: Floats  # calibration p = 1 / (1 + exp(a * score + b)), per column
    platt_b: Floats
    lexicon: dict[str, tuple[str, ...]]

    def morphology(self, memo: dict[str, tuple[str, ...]] | None = None) -> Morphology:
        return Morphology(self.lexicon, memo=memo)

    def probabilities(self, morphemes: Sequence[str], grams: Sequence[str]) -> Floats:
        """Calibrated probability of each label (same order as ``labels``); sums to 1."""
        idx_m, val_m = self._block(morphemes, self.morph_vocab, MORPH_WEIGHT)
        idx_c, val_c = self._block(grams, self.char_vocab, CHAR_WEIGHT)
        idx = np.concatenate((idx_m, idx_c))
        scores = np.concatenate((val_m, val_c)) @ self.weights[idx] + self.intercept
        return calibrate(scores, self.platt_a, self.platt_b)

    def _block(
        self, tokens: Sequence[str], vocab: dict[str, int], weight: float
    ) -> tuple[NDArray[np.intp], Floats]:
        found = [(j, n) for tok, n in Counter(tokens).items() if (j := vocab.get(tok)) is not None]
        if not found:
            return np.empty(0, dtype=np.intp), np.empty(0)
        idx = np.fromiter((j for j, _ in found), dtype=np.intp, count=len(found))
        values = (1.0 + np.log(np.fromiter((n for _, n in found), dtype=np.float64, count=len(found))))
        values *= self.idf[idx]
        values *= weight / np.sqrt(values @ values)
        return idx, values


def calibrate(scores: Floats, a: Floats, b: Floats) -> Floats:
    """Platt-scale each one-vs-rest score and normalise, as scikit-learn's CalibratedClassifierCV."""
    p = 1.0 / (1.0 + np.exp(np.clip(a * scores + b, -500.0, 500.0)))
    if p.shape[-1] == 1:
        return np.concatenate((1.0 - p, p), axis=-1)
    total = p.sum(axis=-1, keepdims=True)
    return np.divide(p, total, out=np.full_like(p, 1.0 / p.shape[-1]), where=total != 0)


def featurize(texts: Sequence[str], morphology: Morphology) -> tuple[list[list[str]], list[list[str]]]:
    normalized = [normalize(t) for t in texts]
    return [morphology.morphemes(n) for n in normalized], [char_ngrams(n) for n in normalized]


def train(
    texts: Sequence[str], labels: Sequence[str], *, morphology: Morphology | None = None,
    progress: Progress | None = None,
) -> LinearModel:
    """Fit the model on ``texts`` labelled with intents (at least two intents, two examples each)."""
    from scipy import sparse
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    shared = morphology or Morphology()
    normalized = [normalize(t) for t in texts]
    lexicon: dict[str, tuple[str, ...]] = {}
    for done, text in enumerate(normalized, 1):
        lexicon.update(shared.lexicon_for([text]))
        if progress and (done % 50 == 0 or done == len(normalized)):
            progress(done, len(normalized))
    if len(set(labels)) < 2:
        raise ValueError("training needs examples of at least two intents")
    texts, labels = _at_least_two_each(texts, labels)
    morph_docs, char_docs = featurize(texts, Morphology(lexicon))
    morph_vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    char_vec = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    x = sparse.hstack(
        [MORPH_WEIGHT * morph_vec.fit_transform(morph_docs), CHAR_WEIGHT * char_vec.fit_transform(char_docs)]
    ).tocsr()
    folds = min(MAX_CALIBRATION_FOLDS, *Counter(labels).values())
    svm = LinearSVC(C=SVM_C, class_weight="balanced", max_iter=20_000)
    clf = CalibratedClassifierCV(svm, method="sigmoid", cv=folds, ensemble=False).fit(x, list(labels))
    (fitted,) = clf.calibrated_classifiers_
    model = LinearModel(
        labels=tuple(str(c) for c in clf.classes_),
        morph_vocab={str(k): int(v) for k, v in morph_vec.vocabulary_.items()},
        char_vocab={str(k): int(v) + len(morph_vec.vocabulary_) for k, v in char_vec.vocabulary_.items()},
        idf=np.concatenate((morph_vec.idf_, char_vec.idf_)).astype(np.float64),
        weights=np.ascontiguousarray(fitted.estimator.coef_.T, dtype=np.float32),
        intercept=np.asarray(fitted.estimator.intercept_, dtype=np.float64),
        platt_a=np.array([c.a_ for c in fitted.calibrators], dtype=np.float64),
        platt_b=np.array([c.b_ for c in fitted.calibrators], dtype=np.float64),
        lexicon=lexicon,
    )
    _check_agreement(model, clf.predict_proba(x[:20]), morph_docs[:20], char_docs[:20])
    return model


def _at_least_two_each(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """An intent with one example gets it twice, so that calibration folds can be stratified."""
    counts = Counter(labels)
    single = [(t, y) for t, y in zip(texts, labels, strict=True) if counts[y] == 1]
    return [*texts, *(t for t, _ in single)], [*labels, *(y for _, y in single)]


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _check_agreement(model: LinearModel, expected: Floats, morphs: list[list[str]], grams: list[list[str]]) -> None:
    ours = np.array([model.probabilities(m, g) for m, g in zip(morphs, grams, strict=True)])
    if not np.allclose(ours, expected, atol=1e-3):
        raise RuntimeError("the fast scorer disagrees with scikit-learn; is this scikit-learn version supported?")
