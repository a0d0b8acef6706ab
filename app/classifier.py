"""A small linear model over the trigger features: softmax regression over categories.

String similarity alone finds the nearest phrasing; a linear model lets every phrasing of
a category vote on every feature ("kaputt", "退款", "stopped working"), which is what a
long, novel message needs. It is trained on the library's own triggers only
(full-batch Adam with scipy.sparse products: about a second for the shipped library),
and rebuilt with each library version.

Classes are categories, not templates, so the weight matrix grows with the vocabulary,
not with the number of templates; the template within a category is chosen by the
similarity evidence of `matching`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

ITERATIONS = 60
LEARNING_RATE = 0.3
L2 = 1e-5
CENTROID_SHARPNESS = 80.0  # cosine → logit scale of the untrained model (see docs)


def design_matrix(
    rows: Sequence[Sequence[tuple[int, float]]], n_features: int
) -> sparse.csr_matrix:
    """Rows of (feature id, weight) as a CSR matrix."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.concatenate(([0], np.cumsum(lengths)))
    indices = np.fromiter((f for r in rows for f, _ in r), dtype=np.int64)
    data = np.fromiter((w for r in rows for _, w in r), dtype=np.float64)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), n_features))


@dataclass(frozen=True)
class CategoryModel:
    """Trained weights: `probabilities` of each category for a query's features."""

    categories: tuple[str, ...]
    weights: np.ndarray  # features × categories, float32
    bias: np.ndarray

    def probabilities(self, feature_ids: Sequence[int], values: Sequence[float]) -> np.ndarray:
        if not self.categories:
            return np.zeros(0)
        scores = self.bias.astype(np.float64).copy()
        if len(feature_ids):
            scores += np.asarray(values) @ self.weights[np.asarray(feature_ids)]
        scores -= scores.max()
        exp = np.exp(scores)
        probabilities: np.ndarray = exp / exp.sum()
        return probabilities


    def probabilities_many(
        self, feature_ids: np.ndarray, values: np.ndarray, starts: np.ndarray
    ) -> np.ndarray:
        """`probabilities` for several queries: their features concatenated, each query's
        first position in `starts` (every query has at least one feature)."""
        if not self.categories or not starts.size:
            return np.zeros((starts.size, len(self.categories)))
        contributions = self.weights[feature_ids] * values[:, None]
        scores = np.add.reduceat(contributions, starts, axis=0) + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        probabilities: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return probabilities


def centroid_model(
    matrix: sparse.csr_matrix, labels: Sequence[str], sharpness: float = CENTROID_SHARPNESS
) -> CategoryModel:
    """A category model without training: each category's weights are the normalised mean
    of its rows (nearest centroid), scaled so the softmax is decisive. Built in
    milliseconds; the service answers with it while `train` runs on a fresh start."""
    categories = tuple(sorted(set(labels)))
    if not categories:
        return CategoryModel(categories, np.zeros((matrix.shape[1], 0), np.float32), np.zeros(0))
    member = sparse.csr_matrix(
        (
            np.ones(len(labels)),
            ([categories.index(label) for label in labels], np.arange(len(labels))),
        ),
        shape=(len(categories), matrix.shape[0]),
    )
    sums = np.asarray((member @ matrix).todense())
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    weights = (sums / norms * sharpness).T.astype(np.float32)
    return CategoryModel(categories, weights, np.zeros(len(categories)))


def train(matrix: sparse.csr_matrix, labels: Sequence[str]) -> CategoryModel:
    """Fit softmax regression with L2 by full-batch Adam (deterministic: zero start)."""
    categories = tuple(sorted(set(labels)))
    if len(categories) < 2:
        return CategoryModel(
            categories,
            np.zeros((matrix.shape[1], len(categories)), dtype=np.float32),
            np.zeros(len(categories)),
        )
    target = np.zeros((matrix.shape[0], len(categories)))
    target[np.arange(matrix.shape[0]), [categories.index(label) for label in labels]] = 1.0
    weights = np.zeros((matrix.shape[1], len(categories)))
    bias = np.zeros(len(categories))
    moment = np.zeros_like(weights)
    second = np.zeros_like(weights)
    moment_b = np.zeros_like(bias)
    second_b = np.zeros_like(bias)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    transposed = matrix.T.tocsr()
    for step in range(1, ITERATIONS + 1):
        scores = matrix @ weights + bias
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - target) / matrix.shape[0]
        grad = transposed @ error + L2 * weights
        grad_b = error.sum(axis=0)
        moment = beta1 * moment + (1 - beta1) * grad
        second = beta2 * second + (1 - beta2) * grad * grad
        moment_b = beta1 * moment_b + (1 - beta1) * grad_b
        second_b = beta2 * second_b + (1 - beta2) * grad_b * grad_b
        correction1 = 1 - beta1**step
        correction2 = 1 - beta2**step
        weights -= LEARNING_RATE * (moment / correction1) / (np.sqrt(second / correction2) + eps)
        bias -= LEARNING_RATE * (moment_b / correction1) / (np.sqrt(second_b / correction2) + eps)
    return CategoryModel(categories, weights.astype(np.float32), bias)
