"""The perceptron (Rosenblatt 1958) and its classic variants.

The learning rule, online and sequential: predict sign(w.x + b); on a mistake,
y (w.x + b) <= margin, update w += eta y x and b += eta y; stop after an epoch
without mistakes. From zero weights, on data that a unit vector w* separates with
margin gamma, it makes at most (R / gamma)**2 mistakes whatever eta, R being the
largest norm of x with the bias input 1 appended (Novikoff 1962).

Variants combine the iterates w_1, w_2, ... (the weights after each sample seen):
``averaged`` predicts with their mean, ``voted`` by the vote of their signs, each
iterate weighted by how many samples it survived (Freund & Schapire 1999), and
``pocket`` keeps the weights with the best training accuracy seen so far, tried
whenever the current weights have survived longer than the pocketed ones
(Gallant 1990, the pocket algorithm with ratchet).

Each sample is scanned in a block with the ones after it: the block's margins come
from one matrix product, and since the weights only change at a mistake the scan
jumps straight to the first mistake of the block, which is the same sequence of
updates as visiting the samples one at a time.
"""

import numbers
import warnings
from collections import namedtuple

import numpy as np
from sklearn.base import ClassifierMixin

from ..base import (
    check_bool,
    ConvergenceWarning,
    Interval,
    Options,
    ZooClassifierMixin,
    ZooEstimator,
    check_is_fitted,
    one_hot,
)

VARIANTS = ("plain", "averaged", "voted", "pocket")
MULTICLASS = ("ovr", "multiclass")
_FIRST_BLOCK = 8  # samples scanned at once after a mistake; doubles while none is found
_VOTE_BLOCK = 2**20  # elements of a (samples x iterates x classes) block of the vote

_Setup = namedtuple("_Setup", "variant multiclass fit_intercept")


def _check_class_weight(name, value):
    if value is None or (isinstance(value, str) and value == "balanced"):
        return
    if isinstance(value, dict) and all(
        isinstance(w, numbers.Real) and not isinstance(w, bool) and np.isfinite(w) and w > 0
        for w in value.values()
    ):
        return
    raise ValueError(
        f"{name} must be None, 'balanced' or a dict class label -> positive weight; got {value!r}"
    )


class Perceptron(ClassifierMixin, ZooClassifierMixin, ZooEstimator):
    """Rosenblatt's perceptron trained by its mistake-driven rule.

    Rosenblatt (1958), "The perceptron: a probabilistic model for information
    storage and organization in the brain"; Novikoff (1962), "On convergence proofs
    on perceptrons"; Freund & Schapire (1999), "Large margin classification using
    the perceptron algorithm" (voted and averaged); Gallant (1990),
    "Perceptron-based learning algorithms" (pocket with ratchet).

    Two classes use one perceptron. More classes use, with ``multiclass="ovr"``,
    one perceptron per class (class k against the rest; all of them see each sample
    at once), or with ``multiclass="multiclass"`` the multiclass perceptron: predict
    argmax_k w_k.x, and on a mistake, w_y.x - max_{k != y} w_k.x <= margin, add
    eta x to the true class's weights and subtract it from the runner-up's.

    Parameters
    ----------
    eta0 : float, default=1.0
        Step size of an update (> 0). From zero weights with ``margin=0`` it only
        scales the weights: the mistakes and predictions do not depend on it.
    max_iter : int, default=100
        Most epochs (passes over the data) of ``fit``.
    shuffle : bool, default=True
        Visit the samples in a new random order every epoch.
    fit_intercept : bool, default=True
        Learn the bias b (the weight of a constant input 1).
    variant : {"plain", "averaged", "voted", "pocket"}, default="plain"
        Which weights predict: the last iterate, the mean of all iterates, the
        survival-weighted vote of all iterates, or the pocketed best iterate.
    multiclass : {"ovr", "multiclass"}, default="ovr"
        One-vs-rest perceptrons or the multiclass perceptron (for > 2 classes).
    margin : float, default=0.0
        A sample counts as a mistake when its margin y (w.x + b) is <= margin.
    class_weight : None, "balanced" or dict, default=None
        Scales the update made on a sample of each class ("balanced": n_samples /
        (n_classes * count of the class)).
    warm_start : bool, default=False
        ``fit`` continues from the previous fit (weights, iterates, history).
    random_state : int, RandomState or None, default=None
        Seed of the epoch orders.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        The weights that predict (for ``voted``: the last iterate).
    intercept_ : ndarray of shape (1,) or (n_classes,)
    classes_ : ndarray of shape (n_classes,)
    n_mistakes_ : int
        Updates made since the last cold start (one-vs-rest: summed over the
        perceptrons of all classes).
    mistakes_per_epoch_ : list of int
        Updates made in each epoch since the last cold start.
    converged_ : bool
        Whether the last epoch was free of mistakes.
    n_iter_ : int
        Epochs run since the last cold start (fit without warm start).
    n_features_in_ : int
    """

    _constraints = {
        "eta0": Interval(float, 0, None, closed="neither"),
        "max_iter": Interval(int, 1, None),
        "shuffle": check_bool,
        "fit_intercept": check_bool,
        "variant": Options(*VARIANTS),
        "multiclass": Options(*MULTICLASS),
        "margin": Interval(float, 0, None),
        "class_weight": _check_class_weight,
        "warm_start": check_bool,
    }

    def __init__(
        self,
        eta0=1.0,
        max_iter=100,
        shuffle=True,
        fit_intercept=True,
        variant="plain",
        multiclass="ovr",
        margin=0.0,
        class_weight=None,
        warm_start=False,
        random_state=None,
    ):
        self.eta0 = eta0
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.fit_intercept = fit_intercept
        self.variant = variant
        self.multiclass = multiclass
        self.margin = margin
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state

    # ------------------------------------------------------------ public API

    def fit(self, X, y):
        """Run the perceptron rule for up to ``max_iter`` epochs, until one has no mistake."""
        self._check_params()
        warm = self.warm_start and hasattr(self, "_iterates")
        X, y = self._validate(X, y, reset=not warm)
        if warm:
            self._check_continuation()
            codes = self._codes(y)
        else:
            codes = self._encode_labels(y)
            self._start(X.shape[1])
        self._train(X, codes, self.max_iter)
        if not self.converged_:
            warnings.warn(
                f"Perceptron did not converge: the last of its max_iter={self.max_iter} epochs "
                f"still made {self.mistakes_per_epoch_[-1]} update(s) on samples with "
                f"y (w.x + b) <= margin={self.margin}. The data may not be linearly separable; "
                "raise max_iter, or use variant='pocket' or 'averaged' for such data.",
                ConvergenceWarning,
            )
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch of the perceptron rule over (X, y), continuing from the current weights.

        ``classes`` (every label the data will hold) is required on the first call.
        """
        self._check_params()
        first = not hasattr(self, "_iterates")
        if first and classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: "
                "every class label the data will contain"
            )
        if isinstance(self.class_weight, str):
            raise ValueError(
                "class_weight='balanced' needs the class counts of all the data, which "
                "partial_fit does not see; pass a dict of weights instead"
            )
        X, y = self._validate(X, y, reset=first)
        if first:
            self._encode_labels(classes)
            codes = self._codes(y)
            self._start(X.shape[1])
        else:
            self._check_continuation()
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes {np.unique(classes).tolist()} differ from the classes "
                    f"{self.classes_.tolist()} of the first partial_fit"
                )
            codes = self._codes(y)
        self._train(X, codes, 1)
        return self

    def decision_function(self, X):
        """Scores w.x + b (shape (n,) for two classes); for ``voted``, the survival-weighted
        vote of the iterates' signs (or argmax classes), as a fraction in [-1, 1]."""
        check_is_fitted(self)
        X = self._validate(X, reset=False)
        if self._setup.variant == "voted":
            scores = self._iterates.vote(self._augment(X), self._joint)
        else:
            scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Class labels: the sign of the score for two classes, its argmax for more."""
        return self._labels_from_scores(self.decision_function(X))

    # ------------------------------------------------------------ setup

    def _start(self, n_features):
        """A cold start: zero weights, empty history, a fresh epoch-order generator."""
        n_units = 1 if len(self.classes_) == 2 else len(self.classes_)
        width = n_features + int(self.fit_intercept)
        self._setup = _Setup(self.variant, self.multiclass, self.fit_intercept)
        # whether the classes share one multiclass perceptron (else one per unit)
        self._joint = self.multiclass == "multiclass" and len(self.classes_) > 2
        self._iterates = _Iterates(n_units, width, keep_updates=self.variant == "voted")
        self._pocket = None
        if self.variant == "pocket":
            self._pocket = _Pocket(self._iterates.W, n_groups=1 if self._joint else n_units)
        self._shuffler = self._rng()
        self.mistakes_per_epoch_ = []

    def _check_continuation(self):
        """A warm start or a later partial_fit must keep the setup it started with."""
        setup = _Setup(self.variant, self.multiclass, self.fit_intercept)
        if setup != self._setup:
            raise ValueError(
                f"variant, multiclass and fit_intercept were {tuple(self._setup)} when the "
                f"perceptron started and are {tuple(setup)} now; they cannot change while "
                "it continues (fit again with warm_start=False)"
            )

    def _class_weights(self, codes):
        """The update scale of each class."""
        n_classes = len(self.classes_)
        if self.class_weight is None:
            return np.ones(n_classes)
        if isinstance(self.class_weight, str):  # "balanced"
            counts = np.bincount(codes, minlength=n_classes)
            return len(codes) / (n_classes * np.maximum(counts, 1))
        unknown = [label for label in self.class_weight if label not in self.classes_]
        if unknown:
            raise ValueError(
                f"class_weight names labels {unknown} that are not among the classes "
                f"{self.classes_.tolist()}"
            )
        return np.array([float(self.class_weight.get(c, 1.0)) for c in self.classes_])

    def _augment(self, X):
        """X with the constant bias input 1 appended when there is an intercept."""
        if not self._setup.fit_intercept:
            return X
        return np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])

    # ------------------------------------------------------------ training

    def _train(self, X, codes, n_epochs):
        """Up to ``n_epochs`` epochs, ending early after one without mistakes."""
        inputs = self._augment(X)
        n_classes, n_units = len(self.classes_), self._iterates.W.shape[0]
        targets = 2.0 * one_hot(codes, n_classes, np.float64) - 1.0
        if n_units == 1:
            targets = targets[:, 1:]  # +1 for classes_[1], -1 for classes_[0]
        sample_weights = self._class_weights(codes)[codes]
        steps = self.eta0 * sample_weights
        with self._threads(2.0 * inputs.size * n_units):
            if self._pocket is not None:
                self._pocket.begin(self._accuracy_on(inputs, targets, codes, sample_weights))
            n = len(codes)
            for _ in range(n_epochs):
                order = self._shuffler.permutation(n) if self.shuffle else np.arange(n)
                mistakes = self._epoch(inputs[order], targets[order], codes[order], steps[order])
                self.mistakes_per_epoch_.append(mistakes)
                if self._pocket is not None:
                    self._pocket.end_epoch(self._iterates.W, self._iterates.n_steps)
                if mistakes == 0:
                    break
            self._iterates.finish_call()
            if self._pocket is not None:
                self._pocket.finish_call()
        self._publish(X.shape[1])

    def _epoch(self, inputs, targets, codes, steps):
        """One pass over the samples in the given order; returns the number of updates."""
        iterates, n = self._iterates, len(codes)
        start, block, mistakes = 0, _FIRST_BLOCK, 0
        while start < n:
            stop = min(start + block, n)
            rows = slice(start, stop)
            directions = self._directions(inputs[rows], targets[rows], codes[rows])
            wrong = directions.any(axis=1)
            first = int(wrong.argmax())
            if not wrong[first]:
                start, block = stop, 2 * block
                continue
            i, direction = start + first, directions[first]
            step = iterates.n_steps + i + 1  # this sample's position in the whole history
            if self._pocket is not None:
                updated = wrong[first : first + 1] if self._joint else direction != 0
                self._pocket.consider(step, updated, iterates.W)
            iterates.update(step, inputs[i], steps[i] * direction)
            mistakes += 1 if self._joint else int(np.count_nonzero(direction))
            start, block = i + 1, _FIRST_BLOCK
        iterates.n_steps += n
        return mistakes

    def _directions(self, inputs, targets, codes):
        """Per sample and unit, the sign of the update it calls for (0: no mistake)."""
        scores = inputs @ self._iterates.W.T
        if not self._joint:
            return np.where(targets * scores <= self.margin, targets, 0.0)
        rows = np.arange(len(codes))
        true_scores = scores[rows, codes]
        scores[rows, codes] = -np.inf
        runner_up = scores.argmax(axis=1)
        wrong = true_scores - scores[rows, runner_up] <= self.margin
        directions = np.zeros_like(scores)
        directions[rows[wrong], codes[wrong]] = 1.0
        directions[rows[wrong], runner_up[wrong]] = -1.0
        return directions

    def _accuracy_on(self, inputs, targets, codes, sample_weights):
        """Weighted training accuracy of weights W, per one-vs-rest unit or of the whole."""
        total = sample_weights.sum()

        def accuracy(W):
            scores = inputs @ W.T
            if self._joint:
                correct = (scores.argmax(axis=1) == codes)[:, None]
            else:
                correct = (scores > 0) == (targets > 0)
            return sample_weights @ correct / total

        return accuracy

    def _publish(self, n_features):
        """Fitted attributes from the training state."""
        variant = self._setup.variant
        if variant == "averaged":
            W = self._iterates.average()
        elif variant == "pocket":
            W = self._pocket.W
        else:
            W = self._iterates.W
        self.coef_ = W[:, :n_features].copy()
        self.intercept_ = W[:, n_features].copy() if self._setup.fit_intercept else np.zeros(len(W))
        self.n_mistakes_ = int(sum(self.mistakes_per_epoch_))
        self.n_iter_ = len(self.mistakes_per_epoch_)
        self.converged_ = self.mistakes_per_epoch_[-1] == 0


class _Iterates:
    """The current weights W (units x inputs) and what the variants need of the past ones.

    The iterate w_t is W after the t-th sample seen (t = 1 .. n_steps), starting from
    zero. W changes only at a mistake, so the sum of all iterates is kept lazily and,
    for the vote, each update (input row, per-unit coefficients, step) is stored
    instead of whole weight matrices.
    """

    def __init__(self, n_units, width, keep_updates):
        self.W = np.zeros((n_units, width))
        self.n_steps = 0
        self._sum = np.zeros_like(self.W)
        self._summed = 0  # iterates w_1 .. w_summed are in _sum
        self.keep_updates = keep_updates
        self.rows = np.empty((0, width))
        self.coefs = np.empty((0, n_units))
        self.steps = np.empty(0, dtype=np.int64)
        self._pending = []

    def update(self, step, x, coefs):
        """W += coefs x^T after the mistake on the sample seen at ``step``."""
        self._sum += (step - 1 - self._summed) * self.W
        self._summed = step - 1
        self.W += coefs[:, None] * x
        if self.keep_updates:
            self._pending.append((x.copy(), coefs.copy(), step))

    def finish_call(self):
        """Move the updates of this training call into the stored arrays."""
        if self._pending:
            rows, coefs, steps = zip(*self._pending)
            self.rows = np.vstack([self.rows, rows])
            self.coefs = np.vstack([self.coefs, coefs])
            self.steps = np.concatenate([self.steps, steps])
            self._pending = []

    def average(self):
        """Mean of the iterates w_1 .. w_n_steps."""
        remaining = self.n_steps - self._summed
        return (self._sum + remaining * self.W) / self.n_steps

    def vote(self, inputs, joint):
        """Survival-weighted vote of the iterates, as fractions of n_steps.

        Iterate e (0 = the zero start, e = the one after the e-th update) scores x as
        sum_{j <= e} coefs_j (rows_j . x) and survives steps_{e+1} - steps_e samples.
        """
        n_iterates = len(self.steps) + 1
        chunk = max(1, _VOTE_BLOCK // (n_iterates * (self.W.shape[0] if joint else 1)))
        block_vote = self._joint_vote if joint else self._unit_votes
        votes = [block_vote(inputs[b : b + chunk]) for b in range(0, inputs.shape[0], chunk)]
        return np.concatenate(votes) / self.n_steps

    def _survival(self, steps):
        """How many samples each iterate lasted, given the steps of the updates."""
        return np.diff(np.concatenate([[1], steps, [self.n_steps + 1]])).astype(np.float64)

    def _unit_votes(self, inputs):
        """Each unit's vote sum_e survival_e sign(w_e . x), over that unit's own iterates."""
        gram = inputs @ self.rows.T
        votes = np.empty((inputs.shape[0], self.W.shape[0]))
        for unit, coefs in enumerate(self.coefs.T):
            changed = coefs != 0
            survival = self._survival(self.steps[changed])
            scores = np.cumsum(gram[:, changed] * coefs[changed], axis=1)
            # the zero start scores 0, a vote for -1
            votes[:, unit] = 2 * ((scores > 0) @ survival[1:]) - survival.sum()
        return votes

    def _joint_vote(self, inputs):
        """Per class, the survival of the iterates whose argmax it is."""
        gram = inputs @ self.rows.T
        survival = self._survival(self.steps)
        scores = np.zeros((inputs.shape[0], len(survival), self.W.shape[0]))
        np.cumsum(gram[:, :, None] * self.coefs, axis=1, out=scores[:, 1:])
        winners = scores.argmax(axis=2)
        return np.stack([(winners == k) @ survival for k in range(self.W.shape[0])], axis=1)


class _Pocket:
    """Gallant's pocket with ratchet, per group of units (each one-vs-rest perceptron,
    or the whole multiclass perceptron).

    When the current weights of a group make a mistake after surviving more samples
    than the pocketed ones did, and have a strictly higher training accuracy, they
    replace the pocketed ones. The weights that end an epoch are tried as well, so the
    pocket is never less accurate on the training data than the last iterate.
    """

    def __init__(self, W, n_groups):
        self.W = W.copy()
        self.group_of_row = np.arange(len(W)) if n_groups == len(W) else np.zeros(len(W), int)
        self.survival = np.zeros(n_groups, dtype=np.int64)
        self.last_update = np.ones(n_groups, dtype=np.int64)  # first step of the current weights

    def begin(self, accuracy):
        """Start a training call whose data ``accuracy(W) -> per-group accuracy`` scores."""
        self.accuracy = accuracy
        self.best = accuracy(self.W)

    def consider(self, step, updated, W):
        """Before the groups ``updated`` change W at ``step``, maybe pocket their weights."""
        survival = step - self.last_update
        longer = updated & (survival > self.survival)
        if longer.any():
            self._keep_better(W, longer, survival)
        self.last_update[updated] = step

    def end_epoch(self, W, n_steps):
        """The iterate that ends an epoch is a candidate too."""
        self._keep_better(W, np.ones_like(self.best, dtype=bool), n_steps + 1 - self.last_update)

    def finish_call(self):
        del self.accuracy  # a closure over this call's data

    def _keep_better(self, W, candidates, survival):
        accuracy = self.accuracy(W)
        better = candidates & (accuracy > self.best)
        rows = better[self.group_of_row]
        self.W[rows] = W[rows]
        self.best[better] = accuracy[better]
        self.survival[better] = survival[better]
