"""Deep belief network: a greedy stack of RBMs, fine-tuned as a classifier or as a
generative model.

Hinton, Osindero & Teh (2006): RBM 1 learns the data, RBM 2 learns p(h1 | v), and so
on; the top RBM models the top features together with a softmax group of label
units. Unrolled, the stack is a logistic multilayer network whose output layer starts
from the top RBM's label weights, fine-tuned by backpropagation (Bengio et al. 2007)
or left as it is with a ridge readout. Or the paper's up-down algorithm (its
Appendix B, contrastive wake-sleep) unties the recognition (up) and generative (down)
weights of the layers below the top RBM and fine-tunes the generative model: a
stochastic up pass, CD-k in the top RBM with the label clamped in the positive phase,
a stochastic down pass from the end of that chain, delta-rule updates of the
generative weights on the up-pass states and of the recognition weights on the
down-pass states; it then classifies generatively, by the free energy of each label
in the top RBM. Generation runs Gibbs sampling in the top RBM (with the label clamped,
or free) and then one top-down pass through the generative weights of the layers below.
"""


import numpy as np
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.utils import check_random_state

from zoo.base import (
    Interval,
    NeuralNetEstimator,
    Options,
    ZooClassifierMixin,
    check_is_fitted,
    check_layer_sizes,
    one_hot,
)
from zoo.bench.figures import image_shape
from zoo.core.activations import get_activation
from zoo.core.layers import Activation, Dense
from zoo.core.losses import softmax_cross_entropy
from zoo.core.network import Sequential
from zoo.core.optimizers import get_optimizer
from zoo.core.readout import solve_ridge_with_intercept
from zoo.models.rbm import BernoulliRBM, bernoulli_sample, softplus

__all__ = ["DBNClassifier", "samples_per_label"]

FINE_TUNING = ("none", "backprop", "up_down")


class LabelledRBM(BernoulliRBM):
    """The top RBM of a DBN: binary feature units plus one softmax group of ``n_labels_``
    label units (the last visible columns), which a Gibbs step samples as a one-hot vector."""

    def _visible_mean(self, h):
        activation = h @ self.components_ + self.intercept_visible_
        n = self.n_labels_
        features = activation[:, :-n] if self.visible == "gaussian" else expit(activation[:, :-n])
        return np.hstack([features, softmax(activation[:, -n:], axis=1)])

    def _draw_visible(self, mean, rng):
        n = self.n_labels_
        features = super()._draw_visible(mean[:, :-n], rng)
        return np.hstack([features, sample_one_hot(mean[:, -n:], rng)])


def sample_one_hot(probabilities, rng):
    """One categorical draw per row of ``probabilities``, one-hot."""
    cumulative = probabilities.cumsum(axis=1)
    uniform = rng.uniform(size=(probabilities.shape[0], 1)) * cumulative[:, -1:]
    codes = np.minimum((cumulative < uniform).sum(axis=1), probabilities.shape[1] - 1)
    return one_hot(codes, probabilities.shape[1], probabilities.dtype)


class PerLayer:
    """A pre-training setting: one value for every RBM, or a list or tuple of one value
    per RBM (bottom to top), each meeting ``rule``."""

    def __init__(self, rule):
        self.rule = rule

    def check(self, name, value):
        values = value if isinstance(value, (list, tuple)) else [value]
        if len(values) == 0:
            raise ValueError(f"{name} must be one value or one value per RBM, got {value!r}")
        for item in values:
            self.rule.check(name, item)


class DBNClassifier(ClassifierMixin, TransformerMixin, ZooClassifierMixin, NeuralNetEstimator):
    """Deep belief network classifier and generator (Hinton, Osindero & Teh 2006; Bengio,
    Lamblin, Popovici & Larochelle 2007).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default=(256, 128)
        Hidden units of each RBM, bottom to top.
    visible : {"auto", "bernoulli", "gaussian"}, default="auto"
        Units of the first RBM's visible layer: binary (values in [0, 1] read as
        probabilities) or unit-variance Gaussian (standardize the data); "auto" picks
        bernoulli when every training value lies in [0, 1], else gaussian. A Gaussian
        layer is pre-trained with a tenth of ``rbm_learning_rate`` (Hinton 2010, sec. 13.2).
    label_units : bool, default=True
        Train the top RBM on [features, one-hot label] (softmax label units), which
        makes label-clamped generation possible and initialises the output layer.
    rbm_learning_rate, rbm_n_iter, rbm_batch_size : float, int, int, default=0.1, 10, 20
    rbm_method : {"cd", "pcd"}, default="cd"
    rbm_k : int, default=1
    rbm_weight_decay : float, default=2e-4
        Pre-training settings of the RBMs (see ``zoo.models.rbm.BernoulliRBM``): one
        value for all of them, or a list or tuple of one value per RBM, bottom to top
        (e.g. ``rbm_n_iter=(30, 10)``).
    rbm_momentum : float, default=0.9
        Momentum of every RBM's pre-training and of the up-down updates.
    fine_tune : {"backprop", "none", "up_down"}, default="backprop"
        "backprop" (or True): backpropagate the softmax cross-entropy through the
        unrolled stack (Bengio et al. 2007). "none" (or False): fit only the output
        layer, by ridge regression on one-hot targets (``readout_alpha``). "up_down":
        the up-down algorithm of Hinton, Osindero & Teh (2006, Appendix B) on the
        generative model with label units (needs ``label_units=True``), in minibatches
        of ``batch_size``; ``predict`` then classifies generatively: a deterministic up
        pass with the recognition weights, then p(label | penultimate layer), exact,
        from the free energy of the top RBM with each label unit on.
    up_down_n_iter : int, default=10
        Up-down epochs (0 leaves the pre-trained weights tied).
    up_down_learning_rate : float, default=0.01
        Up-down step size, the same for every weight and bias, as in the paper; with
        momentum ``rbm_momentum``.
    up_down_k : int, default=3
        Gibbs iterations of the top RBM per up-down update (the paper's CD-3, later more).
    readout_alpha : float, default=1e-3
    optimizer : str, default="adam"
    learning_rate : float, default=0.01
        Backprop fine-tuning step size.
    schedule, momentum, alpha, batch_size, max_iter, tol, n_iter_no_change,
    early_stopping, validation_fraction, shuffle, clip_norm, warm_start
        Fine-tuning settings, as in every backprop-trained zoo family (defaults
        "constant", 0.9, 1e-4, 32, 50, 1e-4, 10, False, 0.1, True, None, False);
        alpha is the L2 penalty scaled as in scikit-learn's MLP,
        (alpha / (2 n_batch)) sum ||W||^2 added to the mean minibatch loss.
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False
    dtype : numpy float type, default=np.float64
    n_threads : int or None, default=None

    Attributes
    ----------
    visible_ : str
        The first layer's visible units, "bernoulli" or "gaussian".
    fine_tune_ : str
        The fine-tuning done: "none", "backprop" or "up_down".
    rbms_ : list of BernoulliRBM
        The RBMs, bottom to top (the top one a ``LabelledRBM`` with label units); their
        ``components_`` and ``intercept_visible_`` are the generative (down) weights
        and biases, up-down fine-tuned with "up_down"; the top RBM is the associative
        memory.
    network_ : zoo.core.network.Sequential
        The unrolled recognition network: Dense + logistic per RBM, then a softmax
        output Dense. With "backprop" all of it is fine-tuned; with "up_down" the Dense
        layers below the top RBM hold the untied recognition (up) weights and biases,
        and the top Dense and the output layer copy the top RBM's weights.
    classes_ : ndarray
    loss_curve_, validation_scores_, best_validation_score_, n_iter_ :
        Fine-tuning history (empty without fine-tuning); with "up_down",
        ``loss_curve_`` is the mean squared error of each epoch's top-down prediction
        of the data from the up-pass states of the first hidden layer.
    n_features_in_ : int
    """

    _constraints = {
        "hidden_layer_sizes": check_layer_sizes,
        "visible": Options("auto", "bernoulli", "gaussian"),
        "rbm_learning_rate": PerLayer(Interval(float, 0, None, closed="neither")),
        "rbm_n_iter": PerLayer(Interval(int, 1, None)),
        "rbm_batch_size": PerLayer(Interval(int, 1, None)),
        "rbm_method": PerLayer(Options("cd", "pcd")),
        "rbm_k": PerLayer(Interval(int, 1, None)),
        "rbm_momentum": Interval(float, 0, 1, closed="left"),
        "rbm_weight_decay": PerLayer(Interval(float, 0, None)),
        "fine_tune": Options(*FINE_TUNING, also=(True, False)),
        "up_down_n_iter": Interval(int, 0, None),
        "up_down_learning_rate": Interval(float, 0, None, closed="neither"),
        "up_down_k": Interval(int, 1, None),
        "readout_alpha": Interval(float, 0, None),
    }

    def __init__(
        self,
        hidden_layer_sizes=(256, 128),
        *,
        visible="auto",
        label_units=True,
        rbm_learning_rate=0.1,
        rbm_n_iter=10,
        rbm_batch_size=20,
        rbm_method="cd",
        rbm_k=1,
        rbm_momentum=0.9,
        rbm_weight_decay=2e-4,
        fine_tune="backprop",
        up_down_n_iter=10,
        up_down_learning_rate=0.01,
        up_down_k=3,
        readout_alpha=1e-3,
        optimizer="adam",
        learning_rate=0.01,
        schedule="constant",
        momentum=0.9,
        alpha=1e-4,
        batch_size=32,
        max_iter=50,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        clip_norm=None,
        warm_start=False,
        random_state=None,
        verbose=False,
        dtype=np.float64,
        n_threads=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.visible = visible
        self.label_units = label_units
        self.rbm_learning_rate = rbm_learning_rate
        self.rbm_n_iter = rbm_n_iter
        self.rbm_batch_size = rbm_batch_size
        self.rbm_method = rbm_method
        self.rbm_k = rbm_k
        self.rbm_momentum = rbm_momentum
        self.rbm_weight_decay = rbm_weight_decay
        self.fine_tune = fine_tune
        self.up_down_n_iter = up_down_n_iter
        self.up_down_learning_rate = up_down_learning_rate
        self.up_down_k = up_down_k
        self.readout_alpha = readout_alpha
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

    # ------------------------------------------------------------------ training

    def fit(self, X, y):
        """Pre-train the RBMs greedily, unroll them and fine-tune; returns self."""
        self._check_params()
        fine_tune = {True: "backprop", False: "none"}.get(self.fine_tune, self.fine_tune)
        if fine_tune == "up_down" and not self.label_units:
            raise ValueError(
                "fine_tune='up_down' trains the generative model of the images and their "
                "labels: it needs label_units=True"
            )
        X, y = self._validate(X, y, reset=True)
        codes = self._encode_labels(y)
        labels = one_hot(codes, len(self.classes_), X.dtype)
        warm = self.warm_start and hasattr(self, "network_") and self._same_shape(X)
        if not warm:
            self._pretrain(X, labels)
            self.network_ = self._unroll(X.shape[1])
            vars(self).pop("optimizer_", None)
        self.n_params_ = self.network_.n_params
        self.fine_tune_ = fine_tune
        if fine_tune == "backprop":
            self._train(X, codes, softmax_cross_entropy, _accuracy, stratify=codes)
        elif fine_tune == "up_down":
            self._up_down(X, labels, warm)
        else:
            self._fit_readout(X, labels)
        return self

    def _same_shape(self, X):
        output = self.network_.output_shape[0]
        return self.network_.layers[0].params["W"].shape[0] == X.shape[1] and output == len(self.classes_)

    def _pretrain(self, X, labels):
        """Greedy layer-wise training: each RBM learns the hidden probabilities of the one below."""
        rng = self._rng()
        self.visible_ = self.visible
        if self.visible == "auto":
            self.visible_ = "bernoulli" if X.min() >= 0 and X.max() <= 1 else "gaussian"
        settings = self._rbm_settings()
        self.rbms_ = []
        layer_input = X
        for depth, size in enumerate(self.hidden_layer_sizes):
            top = depth == len(self.hidden_layer_sizes) - 1 and self.label_units
            visible = self.visible_ if depth == 0 else "bernoulli"
            learning_rate, batch_size, n_iter, method, k, weight_decay = settings[depth]
            rbm = (LabelledRBM if top else BernoulliRBM)(
                size,
                learning_rate=learning_rate * (0.1 if visible == "gaussian" else 1.0),
                batch_size=batch_size,
                n_iter=n_iter,
                method=method,
                k=k,
                momentum=self.rbm_momentum,
                weight_decay=weight_decay,
                visible=visible,
                random_state=rng.randint(2**31 - 1),
                dtype=X.dtype,
                n_threads=self.n_threads,
            )
            if top:
                rbm.n_labels_ = labels.shape[1]
                rbm.fit(np.hstack([layer_input, labels]))
            else:
                rbm.fit(layer_input)
            self.rbms_.append(rbm)
            layer_input = self._up(rbm, layer_input)

    def _rbm_settings(self):
        """Per RBM, bottom to top: (learning rate, batch size, epochs, method, k, weight
        decay), each from one shared value or from the RBM's own entry."""
        n_layers = len(self.hidden_layer_sizes)
        names = ("rbm_learning_rate", "rbm_batch_size", "rbm_n_iter", "rbm_method", "rbm_k",
                 "rbm_weight_decay")
        columns = []
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, (list, tuple)):
                value = [value] * n_layers
            elif len(value) != n_layers:
                raise ValueError(
                    f"{name} has {len(value)} values; give one, or one per RBM "
                    f"({n_layers} for hidden_layer_sizes={tuple(self.hidden_layer_sizes)})"
                )
            columns.append(value)
        return list(zip(*columns))

    @staticmethod
    def _up(rbm, v):
        """p(h | v) of one RBM; for the labelled top RBM, with the label units off."""
        weights = rbm.components_[:, : v.shape[1]]
        return expit(v @ weights.T + rbm.intercept_hidden_)

    def _unroll(self, n_features):
        """The recognition network: Dense + logistic per RBM with the RBM's weights, then
        the output Dense, from the top RBM's label weights when it has label units."""
        n_classes = len(self.classes_)
        layers = []
        for size in self.hidden_layer_sizes:
            layers += [Dense(size), Activation("logistic")]
        layers.append(Dense(n_classes, init="xavier"))
        network = Sequential(layers)
        network.build((n_features,), self._rng(), self._float_dtype())
        for rbm, dense in zip(self.rbms_[:-1], layers[::2]):
            dense.params["W"][...] = rbm.components_.T
            dense.params["b"][...] = rbm.intercept_hidden_
        self._copy_top_rbm(network)
        return network

    def _copy_top_rbm(self, network):
        """Set the top Dense of ``network`` to the top RBM's feature weights and, with
        label units, the output layer to its label weights."""
        top, dense, output = self.rbms_[-1], network.layers[-3], network.layers[-1]
        n_inputs = dense.params["W"].shape[0]
        dense.params["W"][...] = top.components_[:, :n_inputs].T
        dense.params["b"][...] = top.intercept_hidden_
        if self.label_units:
            n_classes = len(self.classes_)
            output.params["W"][...] = top.components_[:, -n_classes:]
            output.params["b"][...] = top.intercept_visible_[-n_classes:]

    # ------------------------------------------------------------------ up-down

    def _recognition_layers(self):
        """The Dense layers of ``network_`` below the top RBM: the recognition weights."""
        return self.network_.layers[:-3:2]

    def _up_down(self, X, labels, warm):
        """``up_down_n_iter`` epochs of the up-down algorithm in minibatches of
        ``batch_size``, with one learning rate for every parameter and momentum
        ``rbm_momentum`` (Hinton, Osindero & Teh 2006, Appendix B)."""
        rng = self._rng()
        recognition = self._recognition_layers()
        generative = self.rbms_[:-1]
        top = self.rbms_[-1]
        params = [array for rbm in generative for array in (rbm.components_, rbm.intercept_visible_)]
        params += [layer.params[name] for layer in recognition for name in ("W", "b")]
        params += [top.components_, top.intercept_hidden_, top.intercept_visible_]
        if not (warm and hasattr(self, "up_down_optimizer_")):
            self.up_down_optimizer_ = get_optimizer(
                "momentum", learning_rate=self.up_down_learning_rate, momentum=self.rbm_momentum
            )
        self.loss_curve_ = list(getattr(self, "loss_curve_", [])) if warm else []
        batch = min(self.batch_size or X.shape[0], X.shape[0])
        flops = 12.0 * batch * sum(array.size for array in params) * (1 + self.up_down_k)
        with self._threads(flops):
            for _ in range(self.up_down_n_iter):
                order = rng.permutation(X.shape[0]) if self.shuffle else np.arange(X.shape[0])
                errors = []
                for start in range(0, X.shape[0], batch):
                    rows = order[start : start + batch]
                    gradients, error = self._up_down_gradients(X[rows], labels[rows], rng)
                    self.up_down_optimizer_.step(params, gradients)
                    errors.append(error * len(rows))
                self.loss_curve_.append(float(np.sum(errors) / X.shape[0]))
        self._copy_top_rbm(self.network_)
        self.validation_scores_, self.best_validation_score_ = [], None
        self.n_iter_ = len(self.loss_curve_)

    def _up_down_gradients(self, data, labels, rng):
        """Minus the up-down updates of one minibatch, in the order of the parameters
        in ``_up_down``, and the mean squared error of the data's top-down prediction."""
        recognition = self._recognition_layers()
        generative = self.rbms_[:-1]
        top = self.rbms_[-1]
        n = data.shape[0]
        # wake phase: sample each layer bottom-up with the recognition weights
        wake = [data]
        for layer in recognition:
            wake.append(bernoulli_sample(expit(wake[-1] @ layer.params["W"] + layer.params["b"]), rng))
        # top associative memory: CD-k from the up-pass state, the labels clamped to the data
        positive = np.hstack([wake[-1], labels])
        positive_hidden = top._hidden_probabilities(positive)
        hidden = positive_hidden
        for _ in range(self.up_down_k):
            negative = top._sample_visible(bernoulli_sample(hidden, rng), rng)
            hidden = top._hidden_probabilities(negative)
        top_gradients = top._negative_gradients(positive, positive_hidden, negative, hidden)
        # sleep phase: sample each layer top-down with the generative weights from the
        # chain's end (the visible layer as probabilities)
        sleep = [negative[:, : -labels.shape[1]]]
        for depth in range(len(generative) - 1, -1, -1):
            mean = generative[depth]._visible_mean(sleep[0])
            sleep.insert(0, mean if depth == 0 else bernoulli_sample(mean, rng))
        # delta rule: generative weights predict each wake state from the wake state
        # above, recognition weights each sleep state from the sleep state below
        gradients, errors = [], []
        for rbm, below, above in zip(generative, wake[:-1], wake[1:]):
            errors.append(below - rbm._visible_mean(above))
            gradients += [-(above.T @ errors[-1]) / n, -errors[-1].mean(axis=0)]
        for layer, below, above in zip(recognition, sleep[:-1], sleep[1:]):
            error = above - expit(below @ layer.params["W"] + layer.params["b"])
            gradients += [-(below.T @ error) / n, -error.mean(axis=0)]
        if not generative:  # one RBM: the data's prediction is the top RBM's reconstruction
            errors.append(data - top._visible_mean(positive_hidden)[:, : data.shape[1]])
        return gradients + top_gradients, float(np.mean(errors[0] ** 2))

    def _fit_readout(self, X, labels):
        coef, intercept = solve_ridge_with_intercept(self._features(X), labels, self.readout_alpha)
        output = self.network_.layers[-1]
        output.params["W"][...] = coef
        output.params["b"][...] = intercept
        self.loss_curve_, self.validation_scores_ = [], []
        self.best_validation_score_, self.n_iter_ = None, 0

    # ------------------------------------------------------------------ inference

    def _features(self, X):
        for layer in self.network_.layers[:-1]:
            X = layer.forward(X)
        return X

    def _checked(self, X):
        check_is_fitted(self)
        return self._validate(X, reset=False)

    def transform(self, X):
        """Top hidden activations of the recognition network (the composition of the
        RBMs' up-passes before fine-tuning)."""
        return self._features(self._checked(X))

    def _logits(self, X):
        X = self._checked(X)
        if self.fine_tune_ == "up_down":
            return self._label_log_weights(X)
        return self.network_.predict(X)

    def _label_log_weights(self, X):
        """The top RBM's unnormalised log p(label | h), one column per label: -F(h, l)
        without the term b.h common to every label, where F(h, l) = -b.h - b_l -
        sum_j softplus(c_j + (h W)_j + U_lj) and h is the mean-field up pass of X through
        the recognition weights to the penultimate layer (the top RBM's visible features)."""
        h = X
        for layer in self.network_.layers[:-3]:
            h = layer.forward(h)
        top = self.rbms_[-1]
        n_classes = len(self.classes_)
        field = h @ top.components_[:, :-n_classes].T + top.intercept_hidden_
        label_weights = top.components_[:, -n_classes:].T
        log_weights = np.column_stack([softplus(field + weights).sum(axis=1) for weights in label_weights])
        return log_weights + top.intercept_visible_[-n_classes:]

    def decision_function(self, X):
        """Output-layer logits, shape (n_samples, n_classes) (after up-down, the labels'
        negative free energies in the top RBM, up to a constant per sample); for two
        classes the logit of classes_[1] minus that of classes_[0]."""
        return self._binary_scores(self._logits(X))

    def predict_proba(self, X):
        """Class probabilities (softmax of the logits), in the order of ``classes_``;
        after up-down, the top RBM's exact p(label | penultimate layer)."""
        return get_activation("softmax").forward(self._logits(X))

    def predict(self, X):
        """The most probable class of each sample."""
        logits = self._logits(X)
        return self.classes_[logits.argmax(axis=1)]

    # ------------------------------------------------------------------ generation

    def sample(self, n_samples=1, label=None, n_steps=1000, random_state=None):
        """Generate ``n_samples`` inputs: ``n_steps`` Gibbs steps in the top RBM from
        random features (label units clamped to ``label`` -- one label or one per
        sample -- or sampled freely), then a deterministic top-down pass: each layer's
        probabilities given the probabilities of the layer above (mean field), which
        gives cleaner images than sampled states; returns the visible probabilities
        (means for Gaussian visibles). The top-down pass uses the generative weights
        (``rbms_``; up-down fine-tuned with ``fine_tune="up_down"``)."""
        check_is_fitted(self)
        rng = self._rng() if random_state is None else check_random_state(random_state)
        top = self.rbms_[-1]
        n_features = top.n_features_in_ - (len(self.classes_) if self.label_units else 0)
        state = (rng.uniform(size=(n_samples, n_features)) < 0.5).astype(top.components_.dtype)
        if self.label_units:
            clamped = None if label is None else self._label_one_hot(label, n_samples)
            labels = clamped if clamped is not None else one_hot(
                rng.randint(len(self.classes_), size=n_samples), len(self.classes_), state.dtype
            )
            state = np.hstack([state, labels])
        elif label is not None:
            raise ValueError("label-clamped sampling needs label_units=True")
        with self._threads(4.0 * n_samples * top.components_.size):
            for _ in range(n_steps):
                state = top._gibbs_step(state, rng)
                if self.label_units and clamped is not None:
                    state[:, n_features:] = clamped
        visible = top._visible_mean(top._hidden_probabilities(state))[:, :n_features]
        for rbm in reversed(self.rbms_[:-1]):
            visible = rbm._visible_mean(visible)
        return visible

    def _label_one_hot(self, label, n_samples):
        labels = np.broadcast_to(np.asarray(label), (n_samples,))
        return one_hot(self._codes(labels), len(self.classes_), self.rbms_[-1].components_.dtype)


def _accuracy(codes, logits):
    return np.mean(logits.argmax(axis=1) == codes)


def samples_per_label(estimator, data, figure, per_label=8):
    """Figure hook: label-clamped samples, one row per class."""
    n_classes = len(estimator.classes_)
    figure.set_size_inches(per_label * 0.8, n_classes * 0.8)
    shape = image_shape(estimator.n_features_in_)
    axes = figure.subplots(n_classes, per_label, squeeze=False)
    for row, label in enumerate(estimator.classes_):
        images = estimator.sample(per_label, label=label, n_steps=1000, random_state=row)
        for column, image in enumerate(images):
            axes[row, column].imshow(image.reshape(shape), cmap="gray_r")
            axes[row, column].set_axis_off()
    figure.suptitle(f"{type(estimator).__name__}: label-clamped samples, one row per class")
