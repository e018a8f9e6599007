"""Sparse autoencoder (SAE).

Ng (2011, CS294A notes "Sparse autoencoder"; the UFLDL tutorial): one sigmoid hidden
layer trained on

    J = (1/m) sum_i (1/2)||x_i - x_hat_i||^2 + (lambda/2) sum ||W||^2
        + beta sum_j KL(rho || rho_hat_j),

rho_hat_j the mean activation of hidden unit j over the data and KL(rho || q) =
rho log(rho / q) + (1 - rho) log((1 - rho) / (1 - q)). Its gradient adds
beta (-rho / rho_hat_j + (1 - rho) / (1 - rho_hat_j)) / m to every hidden delta before
the factor sigma'. rho_hat is a batch statistic, so full-batch L-BFGS is the default.
Alternatives: an L1 penalty beta * mean_i sum_j |a_ij| on the activations, or the
k-sparse autoencoder of Makhzani & Frey (2013), which keeps only the k largest
hidden activations of each sample.
"""

import numpy as np
from sklearn.base import TransformerMixin

from zoo.base import HIDDEN_ACTIVATIONS, Interval, Options
from zoo.core.layers import Layer

from .ae import TRAINING_DOC, AutoencoderBase, show_images

SPARSITIES = ("kl", "l1", "k_sparse")
# rho_hat is kept this far inside (0, 1) so that a saturated float32 unit keeps a finite KL
RHO_HAT_MARGIN = 1e-6


class KLSparsity(Layer):
    """Pass-through layer adding beta * sum_j KL(rho || rho_hat_j) in training.

    rho_hat_j is the mean of input column j over the batch; ``penalty`` holds the term
    of the last training forward pass (0 at inference); backward adds its gradient.
    """

    def __init__(self, target=0.05, weight=3.0):
        super().__init__()
        self.target, self.weight = target, weight
        self.penalty = 0.0

    def forward(self, x, training=False):
        self._grad, self.penalty = None, 0.0
        if not training or self.weight == 0:
            return x
        rho = self.target
        rho_hat = np.clip(x.mean(axis=0), RHO_HAT_MARGIN, 1 - RHO_HAT_MARGIN)
        kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
        self.penalty = self.weight * float(np.sum(kl))
        self._grad = (self.weight / x.shape[0]) * (-rho / rho_hat + (1 - rho) / (1 - rho_hat))
        return x

    def backward(self, dy):
        return dy if self._grad is None else dy + self._grad.astype(dy.dtype, copy=False)


class L1Sparsity(Layer):
    """Pass-through layer adding beta * mean_i sum_j |a_ij| in training."""

    def __init__(self, weight=3.0):
        super().__init__()
        self.weight = weight
        self.penalty = 0.0

    def forward(self, x, training=False):
        self._grad, self.penalty = None, 0.0
        if not training or self.weight == 0:
            return x
        n = x.shape[0]
        self.penalty = self.weight * float(np.abs(x).sum()) / n
        self._grad = (self.weight / n) * np.sign(x)
        return x

    def backward(self, dy):
        return dy if self._grad is None else dy + self._grad


class KSparse(Layer):
    """Makhzani & Frey (2013): keep the k largest entries of each row, zero the others."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x, training=False):
        k = min(self.k, x.shape[-1])
        top = np.argpartition(-x, k - 1, axis=-1)[..., :k]
        self._mask = np.zeros(x.shape, dtype=bool)
        np.put_along_axis(self._mask, top, True, axis=-1)
        return x * self._mask

    def backward(self, dy):
        return dy * self._mask


class SparseAutoencoder(TransformerMixin, AutoencoderBase):
    __doc__ = (
        """Sparse autoencoder (Ng 2011, CS294A notes; Makhzani & Frey 2013 for k-sparse):
    one hidden layer whose activations are pushed toward sparsity.

    ``transform`` gives the hidden activations, ``inverse_transform`` decodes,
    ``reconstruct`` does both, ``score`` is minus the mean squared reconstruction error.

    Parameters
    ----------
    n_hidden : int, default=25
    sparsity : {"kl", "l1", "k_sparse"}, default="kl"
        KL divergence of the mean activations from ``sparsity_target`` (needs the
        logistic activation), an L1 penalty on the activations, or k-sparse coding.
    sparsity_target : float in (0, 1), default=0.05
        rho, the target mean activation (KL).
    sparsity_weight : float, default=3.0
        beta, the weight of the KL or L1 term.
    k : int, default=5
        Active hidden units per sample (k_sparse).
    activation : str, default="logistic"
    output_activation : {"identity", "logistic"}, default="identity"
        Squared error, or binary cross-entropy from logits for inputs in [0, 1].
    tied_weights : bool, default=False
    alpha : float, default=1e-4
        Weight decay scaled as in scikit-learn's MLP: (alpha / (2 n_batch)) sum ||W||^2
        is added to the mean loss, so Ng's lambda is alpha / n_samples for the full batch.
    batch_size : int or None, default=None
        Full batch by default: rho_hat is a batch statistic.
    max_iter : int, default=100
        L-BFGS iterations (or epochs for the first-order optimizers).
"""
        + TRAINING_DOC
        + """    components_ : ndarray of shape (n_hidden, n_features)
        The encoder weights (filters).
"""
    )

    _constraints = {
        "n_hidden": Interval(int, 1, None),
        "sparsity": Options(*SPARSITIES),
        "sparsity_target": Interval(float, 0, 1, closed="neither"),
        "sparsity_weight": Interval(float, 0, None),
        "k": Interval(int, 1, None),
        "activation": Options(*HIDDEN_ACTIVATIONS),
    }

    def __init__(
        self,
        n_hidden=25,
        sparsity="kl",
        sparsity_target=0.05,
        sparsity_weight=3.0,
        k=5,
        activation="logistic",
        output_activation="identity",
        tied_weights=False,
        optimizer="lbfgs",
        learning_rate=1e-3,
        schedule="constant",
        momentum=0.9,
        alpha=1e-4,
        batch_size=None,
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        clip_norm=None,
        warm_start=False,
        random_state=None,
        verbose=False,
        dtype=np.float32,
        n_threads=None,
    ):
        self.n_hidden = n_hidden
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight
        self.k = k
        self.activation = activation
        self.output_activation = output_activation
        self.tied_weights = tied_weights
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.momentum = momentum
        self.alpha = alpha
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.clip_norm = clip_norm
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.n_threads = n_threads

    def _check_params(self):
        super()._check_params()
        if self.sparsity == "kl" and self.activation != "logistic":
            raise ValueError(
                f"sparsity='kl' compares mean activations with a probability and needs "
                f"activation='logistic', got activation={self.activation!r}"
            )

    def _plan(self):
        return (), self.activation, self.n_hidden, self.activation

    def _code_layers(self):
        if self.sparsity == "kl":
            return [KLSparsity(self.sparsity_target, self.sparsity_weight)]
        if self.sparsity == "l1":
            return [L1Sparsity(self.sparsity_weight)]
        return [KSparse(self.k)]

    @property
    def components_(self):
        """The encoder weights, one row (filter) per hidden unit."""
        return self.network_.layers[0].params["W"].T


def filters_figure(estimator, data, figure):
    """Figure hook: the encoder filters (rows of ``components_``) as images."""
    filters = estimator.components_[:64]
    width = int(np.ceil(np.sqrt(len(filters))))
    rows = [filters[i : i + width] for i in range(0, len(filters), width)]
    show_images(figure, rows, [""] * len(rows), width)
    figure.suptitle(f"{type(estimator).__name__}: encoder filters")
