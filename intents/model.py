"""The trained model: TF-IDF over morphemes, character n-grams, cues and form; calibrated linear SVMs.

Two SVMs share the features: one over intents, one over groups (the VOC type of a VOC intent,
or the dialogue intent itself). An intent's probability is its group's probability times its
share within the group: the customer-visible decision (which VOC type) gets the data of all its
intents, and the intent still comes from the finer model.

scikit-learn trains; ``LinearModel`` keeps only the numbers (vocabularies, idf, weights, Platt
calibration) and scores one text with a few numpy operations on its sparse vector, ~20x faster
than a scikit-learn pipeline for one message and without importing scikit-learn to load.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.conversation.classification import VocType
from intents.cues import cue_tokens, word_pairs
from intents.features import Morphology, char_ngrams, final_key, has_content, normalize
from intents.form import form_tokens

BLOCK_WEIGHTS = (1.0, 1.0, 0.3, 0.3, 0.5)  # morphemes, character n-grams, cues, form, English word pairs
INTENT_C, GROUP_C = 0.5, 1.0
MAX_CALIBRATION_FOLDS = 5
_WEIGHTS = np.asarray(BLOCK_WEIGHTS)

Floats = NDArray[np.float64]
Progress = Callable[[int, int], None]
Tokens = tuple[list[str], list[str], list[str], list[str], list[str]]


def tokens(normalized: str, morphology: Morphology) -> Tokens:
    morphemes = morphology.morphemes(normalized)
    key = final_key(normalized)
    form = form_tokens(normalized, morphology.tail(key) if key else "", has_content(morphemes))
    return morphemes, char_ngrams(normalized), cue_tokens(normalized), form, word_pairs(normalized)


@dataclass
class LinearModel:
    labels: tuple[str, ...]  # intents
    groups: tuple[str, ...]
    group_of: NDArray[np.intp]  # the group (index) of each intent
    vocabs: tuple[dict[str, int], ...]  # one per block, indices into one feature space
    idf: Floats
    weights: NDArray[np.float32]  # (features, intents + groups)
    intercept: Floats
    platt_a: Floats  # calibration p = 1 / (1 + exp(a * score + b)) per column
    platt_b: Floats
    lexicon: dict[str, tuple[str, ...]]
    block_ends: NDArray[np.intp]  # where each block's features end
    tails: dict[str, str]  # the ending of every lexicon word (form.tail_of)

    def morphology(
        self, memo: dict[str, tuple[str, ...]] | None = None, tail_memo: dict[str, str] | None = None,
    ) -> Morphology:
        return Morphology(self.lexicon, memo=memo, tails=self.tails, tail_memo=tail_memo)

    def feature_ids(self, features: Tokens) -> list[int]:
        """The known features of a text's tokens, as indices (one per occurrence)."""
        ids: list[int] = []
        for toks, vocab in zip(features, self.vocabs, strict=True):
            ids += (j for j in map(vocab.get, toks, repeat(-1)) if j >= 0)
        return ids

    def probabilities(self, features: Tokens) -> Floats:
        """Probability of each intent (same order as ``labels``); sums to 1."""
        return self.probabilities_of_ids(self.feature_ids(features))

    def probabilities_of_ids(self, ids: list[int]) -> Floats:
        idx, values = self._vector(ids)
        scores = values @ self.weights[idx] + self.intercept
        n = len(self.labels)
        p = 1.0 / (1.0 + np.exp(np.clip(self.platt_a * scores + self.platt_b, -500.0, 500.0)))
        intent, group = p[:n] / p[:n].sum(), p[n:] / p[n:].sum()
        within = np.bincount(self.group_of, weights=intent, minlength=len(self.groups))
        return np.asarray(group[self.group_of] * intent / np.maximum(within[self.group_of], 1e-300))

    def _vector(self, ids: list[int]) -> tuple[NDArray[np.intp], Floats]:
        """TF-IDF of the feature ``ids`` as (indices, values), each block L2-normalised and weighted."""
        if not ids:
            return np.empty(0, dtype=np.intp), np.empty(0)
        counted = Counter(ids)
        idx = np.fromiter(counted.keys(), dtype=np.intp, count=len(counted))
        counts = np.fromiter(counted.values(), dtype=np.float64, count=len(counted))
        values = (1.0 + np.log(counts)) * self.idf[idx]
        block = np.searchsorted(self.block_ends, idx, side="right")
        norms = np.sqrt(np.bincount(block, weights=values * values, minlength=len(BLOCK_WEIGHTS)))
        values *= (_WEIGHTS / np.where(norms > 0, norms, 1.0))[block]
        return idx, values


def group_names(intents: Iterable[str], voc_types: Mapping[str, VocType]) -> dict[str, str]:
    """The group of each intent for the model: ``voc:<type>`` for VOC intents, else the intent itself."""
    return {i: f"voc:{voc_types[i].value}" if i in voc_types else i for i in intents}


def train(
    texts: Sequence[str], labels: Sequence[str], group_of: Mapping[str, str], *,
    morphology: Morphology | None = None, progress: Progress | None = None,
) -> LinearModel:
    """Fit on ``texts`` labelled with intents; ``group_of`` maps an intent to its group."""
    from scipy import sparse

    if len(set(labels)) < 2:
        raise ValueError("training needs examples of at least two intents")
    shared = morphology or Morphology()
    texts, labels = _at_least_two_each(texts, labels)
    normalized = [normalize(t) for t in texts]
    lexicon: dict[str, tuple[str, ...]] = {}
    for done, text in enumerate(normalized, 1):
        lexicon.update(shared.lexicon_for([text]))
        if progress and (done % 50 == 0 or done == len(normalized)):
            progress(done, len(normalized))
    tails = {key: shared.tail(key) for key in lexicon}
    scorer = Morphology(lexicon, tails=tails)
    docs = [tokens(n, scorer) for n in normalized]
    blocks = [_tfidf([d[b] for d in docs]) for b in range(len(BLOCK_WEIGHTS))]
    x = sparse.hstack([w * m for (m, _, _), w in zip(blocks, BLOCK_WEIGHTS, strict=True)]).tocsr()
    grouped = [group_of[y] for y in labels]
    intent_clf, intent_cols = _fit(x, list(labels), INTENT_C)
    group_clf, group_cols = _fit(x, grouped, GROUP_C)
    offsets = np.cumsum([0, *(len(vocab) for _, vocab, _ in blocks)])
    starts = offsets[:-1]
    group_names = [str(g) for g in group_clf.classes_]
    model = LinearModel(
        labels=tuple(str(c) for c in intent_clf.classes_),
        groups=tuple(str(c) for c in group_clf.classes_),
        group_of=np.array([group_names.index(group_of[str(c)]) for c in intent_clf.classes_], dtype=np.intp),
        vocabs=tuple(_shifted(vocab, int(off)) for (_, vocab, _), off in zip(blocks, starts, strict=True)),
        idf=np.concatenate([idf for _, _, idf in blocks]).astype(np.float64),
        weights=np.ascontiguousarray(np.hstack([intent_cols[0], group_cols[0]]), dtype=np.float32),
        intercept=np.concatenate([intent_cols[1], group_cols[1]]),
        platt_a=np.concatenate([intent_cols[2], group_cols[2]]),
        platt_b=np.concatenate([intent_cols[3], group_cols[3]]),
        lexicon=lexicon,
        block_ends=np.asarray(offsets[1:], dtype=np.intp),
        tails=tails,
    )
    _check_agreement(model, intent_clf, group_clf, x[:20], docs[:20])
    return model


def _tfidf(docs: list[list[str]]) -> tuple[Any, dict[str, int], Floats]:
    """Sublinear TF-IDF of one block: (matrix, vocabulary, idf); a block no document uses has no columns."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not any(docs):  # e.g. English word pairs when no example has two English words
        return sparse.csr_matrix((len(docs), 0)), {}, np.empty(0)
    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True)
    matrix = vectorizer.fit_transform(docs)
    return matrix, dict(vectorizer.vocabulary_), np.asarray(vectorizer.idf_, dtype=np.float64)


def _fit(x: Any, y: list[str], c: float) -> tuple[Any, tuple[Floats, Floats, Floats, Floats]]:
    """A Platt-calibrated linear SVM and its numbers as (weights, intercept, a, b), one column per class."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    folds = min(MAX_CALIBRATION_FOLDS, *Counter(y).values())
    svm = LinearSVC(C=c, class_weight="balanced", max_iter=20_000)
    clf = CalibratedClassifierCV(svm, method="sigmoid", cv=folds, ensemble=False).fit(x, y)
    (fitted,) = clf.calibrated_classifiers_
    coef = np.asarray(fitted.estimator.coef_, dtype=np.float64)
    intercept = np.asarray(fitted.estimator.intercept_, dtype=np.float64)
    a = np.array([k.a_ for k in fitted.calibrators], dtype=np.float64)
    b = np.array([k.b_ for k in fitted.calibrators], dtype=np.float64)
    if len(clf.classes_) == 2:  # one score s for the second class; the first gets -s and P = 1 - P(second)
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        a, b = np.repeat(a, 2), np.array([-b[0], b[0]])
    return clf, (coef.T, intercept, a, b)


def _at_least_two_each(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str], list[str]]:
    """An intent with one example gets it twice, so that calibration folds can be stratified."""
    counts = Counter(labels)
    single = [(t, y) for t, y in zip(texts, labels, strict=True) if counts[y] == 1]
    return [*texts, *(t for t, _ in single)], [*labels, *(y for _, y in single)]


def _shifted(vocabulary: Mapping[str, int], offset: int) -> dict[str, int]:
    return {str(k): int(i) + offset for k, i in vocabulary.items()}


def _identity(toks: list[str]) -> list[str]:
    return toks


def _check_agreement(model: LinearModel, intent_clf: Any, group_clf: Any, x: Any, docs: list[Tokens]) -> None:
    intent_p, group_p = intent_clf.predict_proba(x), group_clf.predict_proba(x)
    expected = group_p[:, model.group_of] * intent_p / np.stack(
        [intent_p[:, model.group_of == g].sum(axis=1) for g in model.group_of], axis=1
    )
    ours = np.array([model.probabilities(d) for d in docs])
    if not np.allclose(ours, expected, atol=1e-3):
        raise RuntimeError("the fast scorer disagrees with scikit-learn; is this scikit-learn version supported?")
