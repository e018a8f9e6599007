"""Perceptron: Novikoff's bound, XOR, the variants against a sample-by-sample reference,
multiclass accuracy, partial_fit / warm_start / seeds, and bad input."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import StandardScaler

from zoo.base import ConvergenceWarning
from zoo.datasets import load
from zoo.models.perceptron import Perceptron

not_converging = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ---------------------------------------------------------------- a reference to compare with


def reference_iterates(X, codes, n_classes, epochs, *, eta=1.0, margin=0.0, joint=False,
                       class_weights=None, fit_intercept=True):
    """The perceptron rule written sample by sample: the weights after every sample seen,
    and the number of updates (one per one-vs-rest unit that errs)."""
    inputs = np.hstack([X, np.ones((len(X), 1))]) if fit_intercept else X
    n_units = 1 if n_classes == 2 else n_classes
    weights = np.ones(n_classes) if class_weights is None else class_weights
    W = np.zeros((n_units, inputs.shape[1]))
    iterates, n_updates = [], 0
    for _ in range(epochs):
        for x, c in zip(inputs, codes):
            step = eta * weights[c]
            scores = W @ x
            if joint:
                runner_up = max((k for k in range(n_units) if k != c), key=lambda k: scores[k])
                if scores[c] - scores[runner_up] <= margin:
                    W[c] += step * x
                    W[runner_up] -= step * x
                    n_updates += 1
            else:
                targets = np.array([1.0 if c == 1 else -1.0]) if n_units == 1 else (
                    np.where(np.arange(n_units) == c, 1.0, -1.0)
                )
                for k in np.flatnonzero(targets * scores <= margin):
                    W[k] += step * targets[k] * x
                    n_updates += 1
            iterates.append(W.copy())
    return np.array(iterates), n_updates


def reference_vote(iterates, X, joint):
    """Freund & Schapire's vote: every iterate (one per sample seen) votes once."""
    scores = np.einsum("tkd,nd->ntk", iterates[:, :, :-1], X) + iterates[:, :, -1]
    if joint:
        winners = scores.argmax(axis=2)
        return np.stack([(winners == k).mean(axis=1) for k in range(scores.shape[2])], axis=1)
    return np.where(scores > 0, 1.0, -1.0).mean(axis=1)


def overlapping(n_classes, seed=0, n_samples=40):
    X, y = make_blobs(n_samples=n_samples, centers=n_classes, cluster_std=3.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


# ---------------------------------------------------------------- Novikoff and separable data


@pytest.mark.parametrize("n_features", [2, 5, 10])
@pytest.mark.parametrize("margin", [0.05, 0.1])
def test_mistakes_within_novikoff_bound_whatever_eta(n_features, margin):
    ds = load("blobs", random_state=n_features, n_samples=300, n_features=n_features, margin=margin)
    X, y, w_star = ds.X_train, ds.y_train, ds.info["w_star"]
    # (w*, 0) is a unit vector separating the inputs with 1 appended
    gamma = np.min(y * (X @ w_star))
    assert gamma >= margin
    R = np.sqrt(np.max(np.sum(X**2, axis=1) + 1.0))
    fits = [Perceptron(eta0=eta, max_iter=1000, random_state=0).fit(X, y) for eta in (1.0, 0.01)]
    for fit in fits:
        assert fit.converged_
        assert fit.n_mistakes_ <= (R / gamma) ** 2
        assert fit.mistakes_per_epoch_[-1] == 0 and min(fit.mistakes_per_epoch_[:-1], default=1) > 0
        assert fit.score(X, y) == 1.0
    # from zero weights eta only scales them: the same mistakes, weights in proportion
    assert fits[0].mistakes_per_epoch_ == fits[1].mistakes_per_epoch_
    np.testing.assert_allclose(0.01 * fits[0].coef_, fits[1].coef_, rtol=1e-9)
    np.testing.assert_allclose(0.01 * fits[0].intercept_, fits[1].intercept_, rtol=1e-9, atol=1e-12)


def test_iris_setosa_versus_rest_converges():
    X, y = load_iris(return_X_y=True)
    setosa = np.where(y == 0, "setosa", "other")
    fit = Perceptron(random_state=0).fit(X, setosa)
    assert fit.converged_ and fit.n_iter_ < 100
    assert fit.score(X, setosa) == 1.0
    assert fit.coef_.shape == (1, 4) and fit.decision_function(X).shape == (150,)


def test_margin_is_reached_on_converged_data():
    ds = load("blobs", random_state=1, n_samples=200, n_features=3, margin=0.2)
    X, y = ds.X_train, ds.y_train
    fit = Perceptron(margin=0.5, max_iter=1000, random_state=0).fit(X, y)
    assert fit.converged_
    # the last epoch made no update, so every training margin exceeds 0.5
    assert np.min(y * fit.decision_function(X)) > 0.5


# ---------------------------------------------------------------- XOR and the pocket


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("variant", ["plain", "averaged", "pocket"])
def test_xor_never_converges(signed, variant):
    ds = load("xor", signed=signed)
    fit = Perceptron(variant=variant, max_iter=50, random_state=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        fit.fit(ds.X_train, ds.y_train)
    assert not fit.converged_ and fit.n_iter_ == 50
    assert len(fit.mistakes_per_epoch_) == 50 and min(fit.mistakes_per_epoch_) > 0
    assert fit.score(ds.X_train, ds.y_train) <= 0.75


@not_converging
# measured training accuracy, plain -> pocket: .54 -> .73, .88 -> .95, .66 -> .87
@pytest.mark.parametrize("seed", [0, 2, 3])
def test_pocket_is_at_least_as_accurate_as_the_last_iterate(seed):
    xor = load("xor")
    X_blobs, y_blobs = overlapping(2, seed=seed, n_samples=100)
    for X, y in [(xor.X_train, xor.y_train), (X_blobs, y_blobs)]:
        plain = Perceptron(max_iter=30, random_state=seed).fit(X, y)
        pocket = Perceptron(variant="pocket", max_iter=30, random_state=seed).fit(X, y)
        assert not plain.converged_  # not linearly separable
        assert plain.mistakes_per_epoch_ == pocket.mistakes_per_epoch_  # same trajectory
        assert pocket.score(X, y) >= plain.score(X, y)
    assert Perceptron(variant="pocket", max_iter=30, random_state=seed).fit(
        xor.X_train, xor.y_train
    ).score(xor.X_train, xor.y_train) == 0.75  # the best any linear rule does on XOR


# ---------------------------------------------------------------- the rule and its variants


@not_converging
@pytest.mark.parametrize(
    "n_classes, multiclass, options",
    [
        (2, "ovr", {}),
        (2, "ovr", {"eta0": 0.3, "margin": 0.2, "class_weight": {0: 1.0, 1: 3.0}}),
        (2, "ovr", {"fit_intercept": False}),
        (3, "ovr", {"class_weight": "balanced"}),
        (3, "multiclass", {}),
        (4, "multiclass", {"margin": 0.5, "class_weight": {2: 0.5}}),
    ],
)
def test_variants_match_the_sample_by_sample_reference(n_classes, multiclass, options):
    X, y = overlapping(n_classes)
    if options.get("class_weight") == "balanced":
        X, y = X[6:], y[6:]  # unbalance the classes
    codes = np.unique(y, return_inverse=True)[1]
    class_weight = options.get("class_weight")
    weights = None
    if class_weight == "balanced":
        weights = len(y) / (n_classes * np.bincount(codes))
    elif isinstance(class_weight, dict):
        weights = np.array([class_weight.get(c, 1.0) for c in range(n_classes)])
    joint = multiclass == "multiclass" and n_classes > 2
    iterates, n_updates = reference_iterates(
        X, codes, n_classes, 4, eta=options.get("eta0", 1.0), margin=options.get("margin", 0.0),
        joint=joint, class_weights=weights, fit_intercept=options.get("fit_intercept", True),
    )
    if not options.get("fit_intercept", True):  # a zero bias column for the vote
        iterates = np.concatenate([iterates, np.zeros(iterates.shape[:2] + (1,))], axis=2)
    common = dict(multiclass=multiclass, max_iter=4, shuffle=False, **options)
    plain = Perceptron(**common).fit(X, y)
    averaged = Perceptron(variant="averaged", **common).fit(X, y)
    voted = Perceptron(variant="voted", **common).fit(X, y)
    last, mean = iterates[-1], iterates.mean(axis=0)
    np.testing.assert_allclose(plain.coef_, last[:, :-1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(plain.intercept_, last[:, -1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(averaged.coef_, mean[:, :-1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(averaged.intercept_, mean[:, -1], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(voted.coef_, last[:, :-1], rtol=1e-10, atol=1e-10)
    X_new = np.random.RandomState(5).standard_normal((30, X.shape[1]))
    expected_vote = reference_vote(iterates, X_new, joint)
    np.testing.assert_allclose(voted.decision_function(X_new).reshape(expected_vote.shape),
                               expected_vote, atol=1e-12)
    assert plain.n_mistakes_ == n_updates


def test_decision_function_and_predict_agree():
    X, y = overlapping(3)
    for multiclass in ("ovr", "multiclass"):
        for variant in ("plain", "voted"):
            fit = Perceptron(multiclass=multiclass, variant=variant, max_iter=5, random_state=0)
            with pytest.warns(ConvergenceWarning):
                fit.fit(X, y)
            scores = fit.decision_function(X)
            assert scores.shape == (len(X), 3)
            np.testing.assert_array_equal(fit.predict(X), fit.classes_[scores.argmax(axis=1)])


def test_uniform_class_weight_only_scales_the_update():
    X, y = make_blobs(n_samples=60, centers=2, random_state=3)
    base = Perceptron(random_state=0).fit(X, y)
    doubled = Perceptron(class_weight={0: 2.0, 1: 2.0}, random_state=0).fit(X, y)
    assert base.converged_ and base.mistakes_per_epoch_ == doubled.mistakes_per_epoch_
    np.testing.assert_array_equal(2 * base.coef_, doubled.coef_)


# ---------------------------------------------------------------- multiclass accuracy


@pytest.fixture(scope="module")
def digits():
    ds = load("digits", random_state=0)
    scaler = StandardScaler().fit(ds.X_train)
    return scaler.transform(ds.X_train), ds.y_train, scaler.transform(ds.X_test), ds.y_test


@not_converging
@pytest.mark.parametrize(
    "multiclass, variant, threshold",
    # measured with random_state 0..5: 0.931-0.942, 0.944-0.956, 0.942-0.958
    [("ovr", "plain", 0.90), ("ovr", "averaged", 0.92), ("multiclass", "plain", 0.92)],
)
def test_digits_accuracy(digits, multiclass, variant, threshold):
    X_train, y_train, X_test, y_test = digits
    fit = Perceptron(multiclass=multiclass, variant=variant, random_state=0).fit(X_train, y_train)
    assert fit.coef_.shape == (10, 64) and fit.intercept_.shape == (10,)
    assert fit.score(X_test, y_test) >= threshold


@not_converging
def test_multiclass_perceptron_on_iris():
    ds = load("iris", random_state=0)
    scaler = StandardScaler().fit(ds.X_train)
    fit = Perceptron(multiclass="multiclass", variant="averaged", max_iter=1000, random_state=0)
    fit.fit(scaler.transform(ds.X_train), ds.y_train)
    assert fit.score(scaler.transform(ds.X_test), ds.y_test) >= 0.9  # measured 1.0


# ---------------------------------------------------------------- partial_fit, warm start, seeds


@not_converging
@pytest.mark.parametrize("variant", ["plain", "averaged", "voted", "pocket"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_partial_fit_epochs_equal_fit_without_shuffle(variant, n_classes):
    X, y = overlapping(n_classes)
    full = Perceptron(variant=variant, max_iter=6, shuffle=False).fit(X, y)
    online = Perceptron(variant=variant, shuffle=False)
    for _ in range(6):
        online.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(online.coef_, full.coef_)
    np.testing.assert_array_equal(online.intercept_, full.intercept_)
    assert online.mistakes_per_epoch_ == full.mistakes_per_epoch_
    assert online.n_iter_ == 6 and online.n_mistakes_ == full.n_mistakes_
    np.testing.assert_array_equal(online.decision_function(X), full.decision_function(X))


@not_converging
def test_partial_fit_takes_batches_with_a_subset_of_the_classes():
    X, y = overlapping(3)
    fit = Perceptron(random_state=0).partial_fit(X[y != 2], y[y != 2], classes=[0, 1, 2])
    fit.partial_fit(X, y)
    assert list(fit.classes_) == [0, 1, 2] and fit.coef_.shape == (3, 2) and fit.n_iter_ == 2


@not_converging
def test_same_seed_same_result_other_seed_other_order():
    X, y = overlapping(3, n_samples=90)
    a, b, c = (Perceptron(max_iter=10, random_state=s).fit(X, y) for s in (7, 7, 8))
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert a.mistakes_per_epoch_ == b.mistakes_per_epoch_
    assert not np.array_equal(a.coef_, c.coef_)


@not_converging
@pytest.mark.parametrize("variant", ["plain", "averaged", "voted", "pocket"])
def test_warm_start_continues_where_fit_stopped(variant):
    X, y = overlapping(2, n_samples=80)
    straight = Perceptron(variant=variant, max_iter=7, random_state=4).fit(X, y)
    resumed = Perceptron(variant=variant, max_iter=3, random_state=4).fit(X, y)
    resumed.set_params(warm_start=True, max_iter=4).fit(X, y)
    assert resumed.mistakes_per_epoch_ == straight.mistakes_per_epoch_
    assert resumed.n_iter_ == 7
    np.testing.assert_array_equal(resumed.coef_, straight.coef_)
    np.testing.assert_array_equal(resumed.predict(X), straight.predict(X))
    restarted = resumed.set_params(warm_start=False, max_iter=3).fit(X, y)
    assert restarted.n_iter_ == 3


def test_warm_start_after_convergence_changes_nothing():
    X, y = make_blobs(n_samples=60, centers=2, random_state=3)
    fit = Perceptron(random_state=0).fit(X, y)
    coef = fit.coef_.copy()
    fit.set_params(warm_start=True).fit(X, y)
    assert fit.converged_ and fit.mistakes_per_epoch_[-1] == 0
    np.testing.assert_array_equal(fit.coef_, coef)


# ---------------------------------------------------------------- bad input


@pytest.fixture
def small():
    X, y = make_blobs(n_samples=30, centers=2, random_state=3)  # separable
    return X, y


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_training_rejects_bad_data(small, method):
    X, y = small
    train = lambda est, X_, y_: (  # noqa: E731
        est.fit(X_, y_) if method == "fit" else est.partial_fit(X_, y_, classes=[0, 1])
    )
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train(Perceptron(), X_nan, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        train(Perceptron(), X, y[:-1])
    with pytest.raises(ValueError, match="requires y"):
        train(Perceptron(), X, None)


def test_fit_rejects_one_class(small):
    X, _ = small
    with pytest.raises(ValueError, match="only one class"):
        Perceptron().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="only one class"):
        Perceptron().partial_fit(X, np.zeros(len(X)), classes=[0])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"eta0": 0}, "eta0"),
        ({"eta0": -1.0}, "eta0"),
        ({"max_iter": 0}, "max_iter"),
        ({"margin": -0.1}, "margin"),
        ({"variant": "kernel"}, "variant must be one of 'averaged', 'plain', 'pocket', 'voted'"),
        ({"multiclass": "ovo"}, "multiclass must be one of 'multiclass', 'ovr'"),
        ({"class_weight": "auto"}, "class_weight"),
        ({"class_weight": {0: -1.0}}, "class_weight"),
        ({"class_weight": {5: 2.0}}, r"class_weight names labels \[5\]"),
        ({"shuffle": "yes"}, "shuffle"),
    ],
)
def test_invalid_hyperparameters_raise(small, params, match):
    X, y = small
    with pytest.raises(ValueError, match=match):
        Perceptron(**params).fit(X, y)
    with pytest.raises(ValueError, match=match):
        Perceptron(**params).partial_fit(X, y, classes=[0, 1])


def test_partial_fit_needs_classes_first_and_known_labels(small):
    X, y = small
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        Perceptron().partial_fit(X, y)
    fit = Perceptron().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[7\] are not among the classes"):
        fit.partial_fit(X, np.where(y == 1, 7, 0))
    with pytest.raises(ValueError, match="differ from the classes"):
        fit.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="expecting 2 features"):
        fit.partial_fit(X[:, :1], y)
    with pytest.raises(ValueError, match="balanced"):
        Perceptron(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_continuing_cannot_change_the_setup(small):
    X, y = small
    fit = Perceptron(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="cannot change while it continues"):
        fit.set_params(variant="voted").fit(X, y)
    with pytest.raises(ValueError, match="cannot change while it continues"):
        fit.partial_fit(X, y)


@pytest.mark.parametrize("method", ["predict", "decision_function", "score"])
@pytest.mark.parametrize("variant", ["plain", "voted"])
def test_prediction_rejects_bad_input(small, method, variant):
    X, y = small
    args = (y,) if method == "score" else ()
    with pytest.raises(NotFittedError):
        getattr(Perceptron(variant=variant), method)(X, *args)
    fit = Perceptron(variant=variant, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="expecting 2 features"):
        getattr(fit, method)(X[:, :1], *args)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        getattr(fit, method)(X_nan, *args)
