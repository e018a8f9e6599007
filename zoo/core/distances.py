"""Pairwise squared Euclidean distances through one BLAS product."""

import numpy as np


def squared_distances(X, C):
    """||x - c||^2 for every row x of X and c of C, as ||x||^2 - 2 x.c + ||c||^2 built in
    place on the product X C^T, clipped at 0 (rounding can make it slightly negative)."""
    sq = X @ C.T
    sq *= -2.0
    sq += np.einsum("ij,ij->i", X, X)[:, None]
    sq += np.einsum("ij,ij->i", C, C)
    return np.maximum(sq, 0.0, out=sq)
