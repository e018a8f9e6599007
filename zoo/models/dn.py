"""Deconvolutional network (DN), in its two meanings.

The chart's reversed CNN (Dosovitskiy, Springenberg & Brox 2015; the upsampling path
of Zeiler & Fergus 2014): a one-hot class label, optionally followed by a latent
vector of known real parameters (the paper's view and transformation parameters),
goes through dense layers, is reshaped to a small stack of feature maps and grown
to an image by transposed convolutions, the adjoint of strided ones, output size
(H - 1) s - 2 p + k + output_padding. It is trained to generate the images of each
class (at the given parameters) with squared error or Bernoulli cross-entropy.

The papers' convolutional sparse coding (Zeiler, Krishnan, Taylor & Fergus 2010;
Zeiler, Taylor & Fergus 2011): each image y is the sum of feature maps z_k convolved
with filters f_k; training minimises over maps and filters

    (1/2) ||sum_k z_k * f_k - y||^2 + l1_weight sum_k ||z_k||_1

(the papers' (lambda/2) ||.||^2 + ||z||_1 with lambda = 1 / l1_weight), alternating
ISTA or FISTA on the maps (a gradient step, then the shrinkage sign(u) max(|u| - t,
0)) with gradient steps on the filters projected back to unit norm. The convolution
is a Conv2D of the maps with the filters; its gradient in the maps is the Conv2D of
the residual with the flipped filters (``ConvDictionary``).
"""

import warnings

import numpy as np
from scipy.special import expit
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.utils import check_array

from zoo.base import (
    HIDDEN_ACTIVATIONS,
    HIDDEN_INITS,
    TRAINING_PARAMETERS_DOC,
    ImageInputMixin,
    Interval,
    NeuralNetEstimator,
    Options,
    ZooClassifierMixin,
    ZooEstimator,
    check_is_fitted,
    check_layer_sizes,
    one_hot,
)
from zoo.core.conv import Conv2D, ConvTranspose2D, Flatten, Reshape
from zoo.core.layers import Activation, dense_stack
from zoo.core.losses import binary_cross_entropy, mse
from zoo.core.network import Sequential

OUTPUT_LOSSES = {"mse": mse, "bce": binary_cross_entropy}


def _check_deconv_layers(name, value):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or len(value) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of (filters, kernel, stride), got {value!r}")
    for item in value:
        if isinstance(item, (str, bytes)) or not hasattr(item, "__len__") or len(item) != 3:
            raise ValueError(f"{name} items must be (filters, kernel, stride), got {item!r}")
        ConvTranspose2D(*item)  # the layer checks its own filters, kernel and stride


def _upsampling_plan(size, strides):
    """(strides, output paddings) of one image axis, first layer first, that grow a
    start size to ``size``: working back from the image, a layer of stride s takes
    size // s rows and pads the rest (an axis smaller than s keeps stride 1)."""
    plan = []
    for stride in reversed(strides):
        if size >= stride:
            size, extra = divmod(size, stride)
            plan.append((stride, extra))
        else:
            plan.append((1, 0))
    return size, plan[::-1]


class DeconvolutionalNetwork(
    ClassifierMixin, TransformerMixin, ZooClassifierMixin, ImageInputMixin, NeuralNetEstimator
):
    __doc__ = (
        """Deconvolutional generator network (Dosovitskiy, Springenberg & Brox 2015;
    Zeiler et al. 2010; Zeiler & Fergus 2014): class label (+ known parameters) -> image.

    ``fit(X, y)`` learns to generate the images X from their labels y: one-hot label
    -> dense layers -> reshape to a start stack of maps -> transposed convolutions
    (each followed by the activation) -> a last stride-1 transposed convolution to the
    image channels. ``generate(labels)`` returns the generated images. As an sklearn
    estimator it is a classifier by analysis-by-synthesis: ``predict(X)`` is the label
    whose generated image is nearest each row of X, ``decision_function(X)`` minus the
    squared distances, ``transform(X)`` the squared distances to every class's image
    and ``score`` the accuracy.

    ``fit(X, y, latent=L)`` adds known conditioning inputs, as Dosovitskiy et al.
    feed the view and transformation parameters of each chair next to its class: the
    row of real values L[i] (shape (n_samples, latent_dim)) is concatenated to the
    one-hot label at the generator's input, so that one class yields different images
    for different parameters. Scale them to about unit range, like any network input
    (an angle as its cosine and sine). Such a model needs the parameters of every
    image it generates or analyses: ``generate(labels, latent=...)``, and
    ``transform``, ``decision_function``, ``predict`` and ``score`` take
    ``latent=...`` too and compare each row of X with the image of every class
    generated at that row's parameters (the labels are searched, the parameters are
    given). A model fitted without a latent refuses one.

    Parameters
    ----------
    dense_layer_sizes : sequence of int, default=(64,)
        Hidden dense layers between the one-hot label and the start maps.
    start_channels : int, default=16
        Channels of the start stack of maps that the dense part is reshaped to; its
        height and width follow from the image size and the strides.
    deconv_layers : sequence of (filters, kernel, stride), default=((16, 3, 2), (8, 3, 2))
        The upsampling transposed convolutions ('same' padding) in order. Output
        paddings are chosen so that the last one reaches the image size exactly; an
        image axis shorter than a layer's stride is not upsampled by it.
    output_kernel : int, default=3
        Kernel of the last (stride 1) transposed convolution to the image channels.
    activation : str, default="relu"
        Nonlinearity of the hidden dense layers and upsampling layers.
    output_loss : {"mse", "bce"}, default="mse"
        Squared error on a linear output, or Bernoulli cross-entropy from logits
        (the images must lie in [0, 1]; generated images are then sigmoid means).
    init : {"he", "xavier", "lecun", "normal"}, default="he"
    input_shape : (height, width) or (height, width, channels), default=None
        How a row of X reshapes to a channels-last image (None: a 4-D X gives its own
        shape, else square one-channel images, else a strip (1, n_features)).
    optimizer : str, default="adam"
    learning_rate : float, default=1e-2
"""
        + TRAINING_PARAMETERS_DOC
        + """    classes_ : ndarray
        The labels seen at fit.
    image_shape_ : tuple
        (height, width, channels) of the generated images.
    latent_dim_ : int
        Width of the latent vector given at fit (0 when none).
"""
    )

    _constraints = {
        "dense_layer_sizes": check_layer_sizes,
        "start_channels": Interval(int, 1, None),
        "deconv_layers": _check_deconv_layers,
        "output_kernel": Interval(int, 1, None),
        "activation": Options(*HIDDEN_ACTIVATIONS),
        "output_loss": Options(*OUTPUT_LOSSES),
        "init": Options(*HIDDEN_INITS),
    }

    def __init__(
        self,
        dense_layer_sizes=(64,),
        start_channels=16,
        deconv_layers=((16, 3, 2), (8, 3, 2)),
        output_kernel=3,
        activation="relu",
        output_loss="mse",
        init="he",
        input_shape=None,
        optimizer="adam",
        learning_rate=1e-2,
        schedule="constant",
        momentum=0.9,
        alpha=1e-4,
        batch_size=32,
        max_iter=200,
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
        self.dense_layer_sizes = dense_layer_sizes
        self.start_channels = start_channels
        self.deconv_layers = deconv_layers
        self.output_kernel = output_kernel
        self.activation = activation
        self.output_loss = output_loss
        self.init = init
        self.input_shape = input_shape
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

    def _upsampling_layers(self):
        """Start-map shape and the transposed convolutions that grow it to the image."""
        H, W, C = self.image_shape_
        strides = [spec[2] for spec in self.deconv_layers]
        start_h, rows = _upsampling_plan(H, strides)
        start_w, columns = _upsampling_plan(W, strides)
        layers = []
        for (filters, kernel, _), (sh, eh), (sw, ew) in zip(self.deconv_layers, rows, columns):
            layers.append(ConvTranspose2D(filters, kernel, (sh, sw), "same", (eh, ew), init=self.init))
            layers.append(Activation(self.activation))
        layers.append(ConvTranspose2D(C, self.output_kernel, 1, "same", init="xavier"))
        return (start_h, start_w, self.start_channels), layers

    def _build_network(self, n_inputs):
        """The generator from ``n_inputs`` (classes plus latent_dim) input values."""
        start, upsampling = self._upsampling_layers()
        activations = [self.activation] * (len(self.dense_layer_sizes) + 1)
        sizes = [*self.dense_layer_sizes, int(np.prod(start))]
        layers = [*dense_stack(sizes, activations, self.init), Reshape(start), *upsampling, Flatten()]
        network = Sequential(layers)
        network.build((n_inputs,), self._rng(), self._float_dtype())
        return network

    def _can_continue(self, n_inputs):
        network = getattr(self, "network_", None)
        n_pixels = int(np.prod(self.image_shape_))
        return network is not None and network.layers[0].params["W"].shape[0] == n_inputs and (
            network.output_shape == (n_pixels,)
        )

    def fit(self, X, y, latent=None):
        """Learn to generate the images X from their labels y and, if given, the
        latent vectors (n_samples, latent_dim) of known parameters; returns self."""
        self._check_params()
        X, y = self._validate(X, y, reset=True)
        if self.output_loss == "bce" and (X.min() < 0 or X.max() > 1):
            raise ValueError("output_loss='bce' needs images with values in [0, 1]; scale X first")
        if latent is not None:
            latent = self._checked_latent(latent, X.shape[0], "X", X.dtype, fitting=True)
        if self.warm_start and hasattr(self, "network_"):
            self._check_same_classes(np.unique(y), "warm_start")
        codes = self._encode_labels(y)
        self.latent_dim_ = 0 if latent is None else latent.shape[1]
        n_inputs = len(self.classes_) + self.latent_dim_
        if not (self.warm_start and self._can_continue(n_inputs)):
            # set before training so that a diverged fit keeps its last finite weights
            self.network_ = self._build_network(n_inputs)
            vars(self).pop("optimizer_", None)
        self.n_params_ = self.network_.n_params
        inputs = self._inputs(codes, latent, X.dtype)
        self._train(inputs, X, OUTPUT_LOSSES[self.output_loss], self._validation_score)
        return self

    def _checked_latent(self, latent, n_rows, rows_of, dtype, fitting=False):
        """The latent as a finite 2-D float array of ``n_rows`` rows (and, after fit,
        ``latent_dim_`` columns); None where the model was fitted without one."""
        if not fitting and self.latent_dim_ == 0:
            if latent is not None:
                raise ValueError(f"{type(self).__name__} was fitted without a latent; do not pass latent")
            return None
        if latent is None:
            raise ValueError(
                f"{type(self).__name__} was fitted with a latent of {self.latent_dim_} columns; "
                f"pass latent=, one row per row of {rows_of}"
            )
        latent = check_array(latent, dtype=dtype, input_name="latent")
        if latent.shape[0] != n_rows:
            raise ValueError(f"latent has {latent.shape[0]} rows but {rows_of} has {n_rows}")
        if not fitting and latent.shape[1] != self.latent_dim_:
            raise ValueError(
                f"latent has {latent.shape[1]} columns but the model was fitted with "
                f"latent_dim_={self.latent_dim_}"
            )
        return latent

    def _inputs(self, codes, latent, dtype):
        """Generator inputs: the one-hot codes, followed by the latent rows if any."""
        labels = one_hot(codes, len(self.classes_), dtype)
        return labels if latent is None else np.hstack([labels, latent])

    def _validation_score(self, images, generated):
        """Minus the per-pixel squared error of the generated images (higher is better)."""
        return -float(np.mean((self._output(generated) - images) ** 2))

    def _output(self, logits):
        return expit(logits) if self.output_loss == "bce" else logits

    def _generate_codes(self, codes, latent=None):
        """Flat generated images of class codes (and latent rows), in float64
        (independent of batching)."""
        inputs = self._inputs(codes, latent, np.float64)
        with self._threads(inputs.shape[0] * self.network_.flops):
            return self._output(self.network_.predict(inputs))

    def generate(self, labels, latent=None):
        """The generated image of each label (at the parameters of the same row of
        ``latent``, needed exactly when fit had one), as flat rows (n, H W C) like the
        X of fit (reshape to ``(-1, *image_shape_)`` for images)."""
        check_is_fitted(self)
        labels = np.asarray(labels)
        if labels.ndim != 1:
            raise ValueError(f"labels must be a 1-D array of class labels, got shape {labels.shape}")
        codes = np.searchsorted(self.classes_, labels)
        codes = np.minimum(codes, len(self.classes_) - 1)
        unseen = self.classes_[codes] != labels
        if unseen.any():
            raise ValueError(
                f"labels {np.unique(labels[unseen]).tolist()} were never seen at fit; "
                f"the classes are {self.classes_.tolist()}"
            )
        latent = self._checked_latent(latent, len(labels), "labels", np.float64)
        return self._generate_codes(codes, latent)

    def transform(self, X, latent=None):
        """Squared distance of each row of X to the generated image of every class
        (at that row's latent parameters, if fit had a latent), shape (n_samples,
        n_classes)."""
        check_is_fitted(self)
        X = self._validate(X, reset=False, dtype=np.float64)
        X = X.reshape(X.shape[0], -1)
        latent = self._checked_latent(latent, X.shape[0], "X", np.float64)
        n_classes = len(self.classes_)
        if latent is not None:
            # every class at every row's parameters: row i, class k at i * n_classes + k
            codes = np.tile(np.arange(n_classes), X.shape[0])
            images = self._generate_codes(codes, np.repeat(latent, n_classes, axis=0))
            images = images.reshape(X.shape[0], n_classes, -1)
            return ((images - X[:, None, :]) ** 2).sum(axis=2)
        prototypes = self._generate_codes(np.arange(n_classes))
        distances = (X * X).sum(axis=1)[:, None] - 2 * X @ prototypes.T
        return np.maximum(distances + (prototypes * prototypes).sum(axis=1), 0)

    def fit_transform(self, X, y=None, latent=None):
        """``fit(X, y, latent)`` then ``transform(X, latent)``."""
        return self.fit(X, y, latent).transform(X, latent)

    def decision_function(self, X, latent=None):
        """Minus the squared distances to the classes' generated images; for two
        classes, the score of classes_[1] minus that of classes_[0]."""
        return self._binary_scores(-self.transform(X, latent))

    def predict(self, X, latent=None):
        """The label whose generated image is nearest each row of X."""
        nearest = self.transform(X, latent).argmin(axis=1)
        return self.classes_[nearest]

    def score(self, X, y, sample_weight=None, latent=None):
        """Accuracy of ``predict(X, latent)`` on the labels y."""
        return accuracy_score(y, self.predict(X, latent), sample_weight=sample_weight)


def shrink(u, threshold):
    """The soft-thresholding (shrinkage) operator sign(u) max(|u| - t, 0): the proximal
    map of t ||u||_1, exactly zero where |u| <= t."""
    return np.sign(u) * np.maximum(np.abs(u) - threshold, 0)


class ConvDictionary:
    """Filters f (n_filters of shape (k, k, C), unit norm) and the linear map D from
    feature maps z to images y (n, H, W, C), y = sum_k z_k * f_k (convolution written,
    as Conv2D writes it, as a correlation). ``maps="full"``: maps (H + k - 1, W + k -
    1), the papers' 'valid' convolution of larger maps, every filter position that
    touches the image; ``maps="valid"``: maps (H - k + 1, W - k + 1), only the
    positions where the filter lies inside the image (no overhang at the border).

    D is a Conv2D of the maps (n_filters -> C channels); its adjoint D^T, the maps'
    gradient, is the Conv2D of the image with the flipped filters (C -> n_filters
    channels), the padding swapped; the filters' gradient correlates the maps with the
    residual. All three run on the conv core's GEMM-per-offset windows.
    """

    def __init__(self, image_shape, filter_size, filters, maps="full"):
        H, W, C = image_shape
        k, rng, dtype = filter_size, np.random.RandomState(0), filters.dtype
        grow = k - 1 if maps == "full" else 1 - k
        if min(H, W) + grow < 1:
            raise ValueError(f"filter_size {k} is larger than the images {(H, W)}; use maps='full'")
        self.maps_shape = (H + grow, W + grow, filters.shape[-1])
        synthesis_pad, analysis_pad = (0, k - 1) if maps == "full" else (k - 1, 0)
        self.synthesis = Conv2D(C, k, padding=synthesis_pad, use_bias=False)
        self.synthesis.build(self.maps_shape, rng, dtype)
        self.analysis = Conv2D(filters.shape[-1], k, padding=analysis_pad, use_bias=False)
        self.analysis.build(tuple(image_shape), rng, dtype)
        self.set_filters(filters)

    @property
    def filters(self):
        """(k, k, C, n_filters)."""
        return self.synthesis.params["W"].transpose(0, 1, 3, 2)

    def set_filters(self, filters):
        self.synthesis.params["W"] = np.ascontiguousarray(filters.transpose(0, 1, 3, 2))
        self.analysis.params["W"] = np.ascontiguousarray(filters[::-1, ::-1])

    def reconstruct(self, maps):
        """D z."""
        self._padded_maps = self.synthesis._pad(maps)
        return self.synthesis.windows.correlate(self._padded_maps, self.synthesis.params["W"])

    def map_gradient(self, residual):
        """D^T residual, the gradient in the maps of (1/2) ||residual||^2."""
        return self.analysis.forward(residual)

    def filter_gradient(self, residual):
        """The gradient in the filters of (1/2) ||residual||^2, residual =
        reconstruct(maps) - y of the last ``reconstruct``."""
        grad = np.empty_like(self.synthesis.params["W"])
        self.synthesis.windows.kernel_grad(self._padded_maps, residual, grad)
        return grad.transpose(0, 1, 3, 2)

    def lipschitz(self):
        """An upper bound of ||D||^2, the Lipschitz constant of the maps' gradient.

        A convolution acts on each frequency w as the (channels x n_filters) matrix
        F(w) of the filters' Fourier transforms, so ||D||^2 <= max_w sigma_max(F(w))^2
        (cropping only lowers it). The maximum is taken on a 64 x 64 (or finer) grid of
        frequencies (8 k points per axis at least), and the 10 % margin covers the
        gaps: a trigonometric polynomial of degree k - 1 varies little between them."""
        k = self.filters.shape[0]
        grid = max(64, 8 * k)
        spectra = np.fft.fft2(self.filters, s=(grid, grid), axes=(0, 1))  # (g, g, C, K)
        largest = np.linalg.svd(spectra, compute_uv=False)[..., 0]
        return 1.1 * float(np.max(largest) ** 2)


def normalize_filters(filters):
    """Each filter (k, k, C) scaled to unit Euclidean norm."""
    norms = np.sqrt((filters * filters).sum(axis=(0, 1, 2)))
    return filters / np.maximum(norms, 1e-12)


def image_objectives(dictionary, maps, images, l1_weight):
    """(1/2) ||D z - y||^2 + l1_weight ||z||_1 of every image."""
    residual = dictionary.reconstruct(maps) - images
    return 0.5 * (residual**2).sum(axis=(1, 2, 3)) + l1_weight * np.abs(maps).sum(axis=(1, 2, 3))


def infer_maps(dictionary, images, l1_weight, n_iter, method="fista", maps=None, trace=False):
    """Sparse maps of the images by ISTA or FISTA (Beck & Teboulle 2009) from ``maps``
    (zeros by default). Returns (maps, objectives): the objective of every image after
    each step, shape (n_iter + 1, n), with ``trace``, else only after the last, shape
    (1, n). ISTA with step 1 / L never raises an image's objective."""
    step = 1 / dictionary.lipschitz()
    z = np.zeros((images.shape[0], *dictionary.maps_shape), dtype=images.dtype) if maps is None else maps
    point, momentum = z, 1.0
    objectives = [image_objectives(dictionary, z, images, l1_weight)] if trace else []
    for _ in range(n_iter):
        gradient = dictionary.map_gradient(dictionary.reconstruct(point) - images)
        z_next = shrink(point - step * gradient, step * l1_weight)
        if method == "fista":
            momentum_next = (1 + np.sqrt(1 + 4 * momentum**2)) / 2
            point = z_next + ((momentum - 1) / momentum_next) * (z_next - z)
            momentum = momentum_next
        else:
            point = z_next
        z = z_next
        if trace:
            objectives.append(image_objectives(dictionary, z, images, l1_weight))
    if not trace:
        objectives.append(image_objectives(dictionary, z, images, l1_weight))
    return z, np.array(objectives)


class ConvolutionalSparseCoding(TransformerMixin, ImageInputMixin, ZooEstimator):
    """Deconvolutional network as convolutional sparse coding (Zeiler, Krishnan,
    Taylor & Fergus 2010; Zeiler, Taylor & Fergus 2011), one layer.

    ``fit(X)`` learns ``n_filters`` unit-norm filters minimising the mean over images
    of (1/2) ||sum_k z_k * f_k - y||^2 + l1_weight sum_k ||z_k||_1 (the papers'
    lambda = 1 / l1_weight) by alternating ``n_inference_iter`` ISTA/FISTA steps on the
    maps (warm-started, and kept per image only where they lower its objective) with
    one projected gradient step on the filters (backtracking until the objective does
    not rise), so the objective never increases. ``transform(X)`` infers the sparse
    maps from zero and returns them flattened; ``feature_maps(X)`` as images,
    ``reconstruct(X)`` the reconstructed images.

    Parameters
    ----------
    n_filters : int, default=8
    filter_size : int, default=5
        Filters are (filter_size, filter_size, channels).
    maps : {"full", "valid"}, default="full"
        Feature maps of (H + k - 1, W + k - 1) positions, every placement of a filter
        that touches the image (the papers' form: every pixel is covered by k^2
        placements), or of (H - k + 1, W - k + 1), only the placements inside it (an
        image corner is then covered by one filter corner only, so on small patches
        the filters learn strong corner pixels instead of edges).
    init : {"patches", "random"}, default="patches"
        Initial filters: windows of the training images at random positions, each
        minus its mean (smooth, like the filters sought; Gaussian values where a
        window is flat), or unit-norm Gaussian noise (which the alternating descent
        keeps for long: the maps fitted to noisy filters hold them in place).
    l1_weight : float, default=0.1
        Weight of the L1 penalty on the maps.
    inference : {"fista", "ista"}, default="fista"
    n_inference_iter : int, default=10
        Map steps per filter update (and of ``transform``).
    max_iter : int, default=10
        Filter updates.
    tol : float, default=1e-4
        Stop when an update lowers the mean objective by less than tol times its value.
    input_shape : (height, width) or (height, width, channels), default=None
        How a row of X reshapes to an image (as in the generator).
    random_state : int, RandomState or None, default=None
    dtype : numpy float type, default=np.float64
    n_threads : int or None, default=None

    Attributes
    ----------
    filters_ : ndarray, shape (filter_size, filter_size, channels, n_filters)
    objective_curve_ : list of float
        Mean objective at the start and after every filter update (non-increasing).
    n_iter_ : int
    image_shape_ : tuple
    n_features_in_ : int
    """

    _constraints = {
        "n_filters": Interval(int, 1, None),
        "filter_size": Interval(int, 1, None),
        "maps": Options("full", "valid"),
        "init": Options("patches", "random"),
        "l1_weight": Interval(float, 0, None),
        "inference": Options("fista", "ista"),
        "n_inference_iter": Interval(int, 1, None),
        "max_iter": Interval(int, 1, None),
        "tol": Interval(float, 0, None),
        "n_threads": Interval(int, 1, None, none_ok=True),
    }

    def __init__(
        self,
        n_filters=8,
        filter_size=5,
        maps="full",
        init="patches",
        l1_weight=0.1,
        inference="fista",
        n_inference_iter=10,
        max_iter=10,
        tol=1e-4,
        input_shape=None,
        random_state=None,
        dtype=np.float64,
        n_threads=None,
    ):
        self.n_filters = n_filters
        self.filter_size = filter_size
        self.maps = maps
        self.init = init
        self.l1_weight = l1_weight
        self.inference = inference
        self.n_inference_iter = n_inference_iter
        self.max_iter = max_iter
        self.tol = tol
        self.input_shape = input_shape
        self.random_state = random_state
        self.dtype = dtype
        self.n_threads = n_threads

    def _images(self, X, reset):
        X = self._validate(X, reset=reset)
        return X.reshape(X.shape[0], *self.image_shape_)

    def _flops(self, n_images):
        return 4.0 * n_images * np.prod(self.image_shape_) * self.filter_size**2 * self.n_filters

    def fit(self, X, y=None):
        """Learn the filters from the images X; returns self."""
        self._check_params()
        images = self._images(X, reset=True)
        dictionary = ConvDictionary(self.image_shape_, self.filter_size, self._initial_filters(images),
                                    self.maps)
        with self._threads(self._flops(images.shape[0])):
            self._learn(dictionary, images)
        self.filters_ = dictionary.filters
        return self

    def _initial_filters(self, images):
        """Unit-norm Gaussian filters, or (init="patches") windows of the images at random
        positions (zero-padded where an image is smaller than a filter), each minus its
        mean; a flat window falls back to Gaussian values."""
        k, C = self.filter_size, self.image_shape_[-1]
        rng = self._rng()
        noise = rng.standard_normal((k, k, C, self.n_filters)).astype(images.dtype)
        if self.init == "random":
            return normalize_filters(noise)
        H, W = self.image_shape_[:2]
        padded = np.pad(images, ((0, 0), (0, max(k - H, 0)), (0, max(k - W, 0)), (0, 0)))
        chosen = rng.randint(images.shape[0], size=self.n_filters)
        rows = rng.randint(padded.shape[1] - k + 1, size=self.n_filters)
        columns = rng.randint(padded.shape[2] - k + 1, size=self.n_filters)
        windows = np.lib.stride_tricks.sliding_window_view(padded, (k, k), axis=(1, 2))
        windows = windows[chosen, rows, columns].transpose(2, 3, 1, 0)  # (k, k, C, n_filters)
        windows -= windows.mean(axis=(0, 1, 2))
        flat = np.sqrt((windows * windows).sum(axis=(0, 1, 2))) <= 1e-8 * max(np.abs(images).max(), 1e-300)
        windows[..., flat] = noise[..., flat]
        return normalize_filters(windows)

    def _learn(self, dictionary, images):
        n = images.shape[0]
        maps = np.zeros((n, *dictionary.maps_shape), dtype=images.dtype)
        objectives = image_objectives(dictionary, maps, images, self.l1_weight)
        self.objective_curve_, step, converged = [float(objectives.mean())], 1.0, False
        for self.n_iter_ in range(1, self.max_iter + 1):
            candidate, trace = infer_maps(dictionary, images, self.l1_weight, self.n_inference_iter,
                                          self.inference, maps)
            better = trace[-1] < objectives
            maps[better], objectives[better] = candidate[better], trace[-1][better]
            objectives, step = self._filter_step(dictionary, maps, images, objectives, step)
            self.objective_curve_.append(float(objectives.mean()))
            previous, current = self.objective_curve_[-2:]
            if previous - current <= self.tol * abs(previous):
                converged = True
                break
        if not converged:
            warnings.warn(
                f"{type(self).__name__} reached max_iter={self.max_iter} before the objective "
                "stopped decreasing; raise max_iter for a converged fit.",
                ConvergenceWarning,
            )

    def _filter_step(self, dictionary, maps, images, objectives, step, max_halvings=20):
        """One unit-norm-projected gradient step on the filters, halving the step until
        the mean objective does not rise (the filters stay put if none is found).

        Each filter's gradient is divided by the mean energy of its maps, the diagonal
        of the objective's curvature in that filter when its placements do not overlap:
        a filter that few images use would otherwise barely move."""
        n = images.shape[0]
        gradient = dictionary.filter_gradient(dictionary.reconstruct(maps) - images) / n
        curvature = np.einsum("nijk,nijk->k", maps, maps) / n
        gradient /= np.maximum(curvature, 1e-12 * max(curvature.max(), 1e-300))
        start = dictionary.filters
        for _ in range(max_halvings):
            dictionary.set_filters(normalize_filters(start - step * gradient))
            trial = image_objectives(dictionary, maps, images, self.l1_weight)
            if trial.mean() <= objectives.mean():
                return trial, min(step * 2, 1.0)
            step /= 2
        dictionary.set_filters(start)
        return objectives, step

    def _dictionary(self):
        check_is_fitted(self)
        return ConvDictionary(self.image_shape_, self.filter_size, self.filters_, self.maps)

    def feature_maps(self, X):
        """The sparse maps of the images X, shape (n, map height, map width, n_filters)."""
        dictionary = self._dictionary()
        images = self._images(X, reset=False)
        with self._threads(self._flops(images.shape[0])):
            maps, _ = infer_maps(dictionary, images, self.l1_weight, self.n_inference_iter,
                                 self.inference)
        return maps

    def transform(self, X):
        """The sparse maps of the images X, one flattened row per image."""
        maps = self.feature_maps(X)
        return maps.reshape(maps.shape[0], -1)

    def reconstruct(self, X):
        """sum_k z_k * f_k of the sparse maps of X, as flat rows like X."""
        maps = self.feature_maps(X)
        return self._dictionary().reconstruct(maps).reshape(maps.shape[0], -1)

    def score(self, X, y=None):
        """Minus the mean objective of the images X at their inferred maps."""
        maps, images = self.feature_maps(X), self._images(X, reset=False)
        return -float(image_objectives(self._dictionary(), maps, images, self.l1_weight).mean())


def generated_digits_figure(estimator, data, figure):
    """Figure hook of the generator: the generated image of every class (top row)
    above a test image of that class (bottom row)."""
    shape = estimator.image_shape_
    generated = estimator.generate(estimator.classes_).reshape(-1, *shape)
    y_test = np.asarray(data.y_test)
    n_classes = len(estimator.classes_)
    figure.set_size_inches(1.0 * n_classes, 2.4)
    axes = figure.subplots(2, n_classes, squeeze=False)
    for column, label in enumerate(estimator.classes_):
        real = np.asarray(data.X_test)[np.flatnonzero(y_test == label)[:1]].reshape(-1, *shape)
        for row, images in enumerate((generated[column : column + 1], real)):
            axes[row, column].set_axis_off()
            if len(images):
                axes[row, column].imshow(images[0].squeeze(-1) if shape[-1] == 1 else images[0],
                                         cmap="gray_r")
        axes[0, column].set_title(str(label), fontsize=8)
    figure.suptitle(f"{type(estimator).__name__}: generated image per label (top), a test image (bottom)")


def sparse_filters_figure(estimator, data, figure):
    """Figure hook of the sparse coding: the learned filters (first channel), each
    scaled to its own range, as the papers show them."""
    filters = estimator.filters_[..., 0, :]
    n_filters = filters.shape[-1]
    n_columns = min(n_filters, 8)
    n_rows = -(-n_filters // n_columns)
    figure.set_size_inches(1.0 * n_columns, 1.0 * n_rows + 0.4)
    axes = figure.subplots(n_rows, n_columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < n_filters:
            kernel = filters[..., index]
            limit = np.abs(kernel).max() or 1.0
            ax.imshow(kernel, cmap="gray", vmin=-limit, vmax=limit)
    figure.suptitle(f"{type(estimator).__name__}: {n_filters} learned filters")


def edge_filters_figure(estimator, data, figure):
    """Figure hook of the benchmark, whose ``estimator`` is the generator: the other
    meaning of the family, a ConvolutionalSparseCoding (16 filters 5 x 5, 'full' maps,
    l1_weight 2, 20 iterations, seed 0) fitted here on 400 photograph patches (the
    ``sample_patches`` dataset), drawn by ``sparse_filters_figure``; a few seconds."""
    from zoo.datasets import load  # the hook's own data, not the benchmark's

    patches = load("sample_patches", random_state=0, n_patches=800).X_train[:400]
    coder = ConvolutionalSparseCoding(n_filters=16, filter_size=5, maps="full", l1_weight=2.0,
                                      max_iter=20, n_inference_iter=10, input_shape=(8, 8),
                                      random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        coder.fit(patches)
    sparse_filters_figure(coder, None, figure)
    figure.suptitle("ConvolutionalSparseCoding: 16 filters learned on 400 photograph patches")
