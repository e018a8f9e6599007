import functools

import numpy as np
import pytest
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics.pairwise import polynomial_kernel, rbf_kernel
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR

from zoo.core.gradcheck import check_loss, numerical_gradient, relative_error
from zoo.datasets import load
from zoo.models.svm import (
    SVMClassifier,
    SVMRegressor,
    _sigmoid_terms,
    couple_pairwise,
    decision_regions_figure,
    epsilon_insensitive,
    platt_sigmoid,
)


@functools.lru_cache(maxsize=None)
def standardised(name):
    """(X_train, y_train, X_test, y_test) of a bundled set, scaled on its training part."""
    data = load(name, random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    return scaler.transform(data.X_train), data.y_train, scaler.transform(data.X_test), data.y_test


def binary_dual(model, X, y, K):
    """(alpha, signs, F) of a fitted two-class SMO model, read from its public attributes
    only: signs +1 for classes_[1], F_t = -s_t grad_t = s_t - sum_u s_u alpha_u K_tu."""
    signs = np.where(y == model.classes_[1], 1.0, -1.0)
    alpha = np.zeros(len(y))
    alpha[model.support_] = model.dual_coef_[0] * signs[model.support_]
    F = signs - K[:, model.support_] @ model.dual_coef_[0]
    return alpha, signs, F


def kkt_violation(alpha, signs, F, upper):
    """max over I_up of F - min over I_low of F (Keerthi et al. 2001; Fan et al. 2005)."""
    below, above = alpha < upper, alpha > 0
    up = np.where(signs > 0, below, above)
    low = np.where(signs > 0, above, below)
    return F[up].max() - F[low].min()


def sine_data(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, (n, 1))
    return X, np.sin(X[:, 0]) + 0.1 * rng.standard_normal(n)


# ---------------------------------------------------------------- paper properties


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separable_blobs_margin_equals_an_independent_qp(seed):
    # Hard margin (C = 1e6 is never reached) on separable blobs: 2 / ||w|| from SMO
    # against the primal QP min 1/2 ||w||^2, s (w.x + b) >= 1 solved by SLSQP from the
    # generator's feasible w*/margin. tol = 1e-5: at the default 1e-3 the margin was off
    # by up to 1.1e-4 (seed 2). Measured differences 4e-7, 1e-8, 1.2e-6.
    data = load("blobs", random_state=seed)
    X, y = data.X_train, data.y_train
    A = np.where(y == 1, 1.0, -1.0)[:, None] * np.hstack([X, np.ones((len(X), 1))])
    start = np.r_[data.info["w_star"] / data.info["margin"], 0.0]
    qp = minimize(
        lambda v: 0.5 * v[:-1] @ v[:-1], start, jac=lambda v: np.r_[v[:-1], 0.0],
        method="SLSQP", options={"ftol": 1e-12, "maxiter": 500},
        constraints=[{"type": "ineq", "fun": lambda v: A @ v - 1.0, "jac": lambda v: A}],
    )
    assert qp.success
    model = SVMClassifier(C=1e6, kernel="linear", tol=1e-5).fit(X, y)
    margin = 2.0 / np.linalg.norm(model.coef_[0])
    assert abs(margin - 2.0 / np.linalg.norm(qp.x[:-1])) < 1e-4
    # alpha > 0 exactly on the points where the QP's constraint is active
    on_margin = np.flatnonzero(A @ qp.x - 1.0 < 1e-6)
    assert np.array_equal(np.sort(model.support_), on_margin)


@pytest.mark.parametrize(
    "params",
    [
        {"kernel": "rbf"},
        {"kernel": "linear"},  # over 1000 steps: shrinking and gradient reconstruction run
        {"kernel": "linear", "cache_size": 0.05},  # rows computed on demand (LRU)
        {"kernel": "rbf", "class_weight": {0: 3.0, 1: 0.5}},
    ],
)
def test_smo_ends_at_a_kkt_point(params):
    X, y, _, _ = standardised("breast_cancer")
    model = SVMClassifier(**params).fit(X, y)
    K = model._kernel(X, X)
    alpha, signs, F = binary_dual(model, X, y, K)
    upper = model.C * model.class_weight_[np.searchsorted(model.classes_, y)]
    assert np.all(alpha >= 0) and np.all(alpha <= upper)
    assert np.any(alpha == upper)  # some bounded variables, so the box matters
    assert abs(alpha @ signs) < 1e-10
    assert kkt_violation(alpha, signs, F, upper) < 1e-3
    # the intercept is the common value of F over the free variables, to tol
    free = (alpha > 0) & (alpha < upper)
    assert np.abs(F[free] - model.intercept_[0]).max() < 1e-3


def test_breast_cancer_matches_libsvm():
    # RBF, C = 1, gamma = 'scale' beside sklearn's SVC (libsvm). Measured: dual objectives
    # 45.7659786 and 45.7659792 (1.3e-8 apart), accuracies 0.958 both, Jaccard 1.0.
    X, y, X_test, y_test = standardised("breast_cancer")
    ours, theirs = SVMClassifier(C=1.0).fit(X, y), SVC(C=1.0).fit(X, y)

    def dual_objective(coef, sv):
        return np.abs(coef).sum() - 0.5 * coef @ rbf_kernel(sv, gamma=theirs._gamma) @ coef

    assert ours.gamma_ == pytest.approx(theirs._gamma, rel=1e-12)
    D_ours = dual_objective(ours.dual_coef_[0], ours.support_vectors_)
    D_theirs = dual_objective(theirs.dual_coef_[0], theirs.support_vectors_)
    assert abs(D_ours - D_theirs) <= 1e-3 * abs(D_theirs)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) <= 0.01
    A, B = set(ours.support_), set(theirs.support_)
    assert len(A & B) / len(A | B) >= 0.9


def test_shrinking_and_the_row_cache_do_not_change_the_solution():
    X, y, X_test, _ = standardised("breast_cancer")
    reference = SVMClassifier(kernel="linear", shrinking=False).fit(X, y)
    variants = [{"shrinking": True}, {"cache_size": 0.05}, {"cache_size": 0.05, "shrinking": False}]
    for params in variants:
        model = SVMClassifier(kernel="linear", **params).fit(X, y)
        gap = np.abs(model.decision_function(X_test) - reference.decision_function(X_test))
        assert gap.max() < 1e-2  # both stop within tol = 1e-3 of the optimum
        assert set(model.support_) == set(reference.support_)


def test_digits_accuracy():
    # RBF, C = 1, one-vs-one over 45 pairs; measured 0.982 (SVC: 0.982).
    X, y, X_test, y_test = standardised("digits")
    assert SVMClassifier().fit(X, y).score(X_test, y_test) >= 0.98


def test_one_vs_one_layout_matches_libsvm():
    # dual_coef_, n_support_, intercept_ in libsvm's layout: 'ovo' decision values agree
    # with SVC's to its stopping tolerance, and the linear kernel's coef_ too.
    data = load("iris", random_state=0)
    X, y = StandardScaler().fit_transform(data.X_train), data.y_train
    for kernel in ("rbf", "linear"):
        ours = SVMClassifier(kernel=kernel, decision_function_shape="ovo").fit(X, y)
        theirs = SVC(kernel=kernel, decision_function_shape="ovo").fit(X, y)
        assert ours.dual_coef_.shape == theirs.dual_coef_.shape
        assert np.array_equal(ours.n_support_, theirs.n_support_)
        assert np.abs(ours.decision_function(X) - theirs.decision_function(X)).max() < 1e-2
        assert np.array_equal(ours.predict(X), theirs.predict(X))
    assert np.abs(ours.coef_ - theirs.coef_).max() < 1e-2


def test_ovr_scores_are_votes_with_ties_broken_by_confidence():
    X, y, X_test, _ = standardised("digits")
    model = SVMClassifier().fit(X[:400], y[:400])
    ovo = model.set_params(decision_function_shape="ovo").decision_function(X_test)
    ovr = model.set_params(decision_function_shape="ovr").decision_function(X_test)
    votes = np.zeros_like(ovr)
    for k, (a, b) in enumerate((a, b) for a in range(10) for b in range(a + 1, 10)):
        votes[:, a] += ovo[:, k] > 0
        votes[:, b] += ovo[:, k] <= 0
    assert np.array_equal(np.round(ovr), votes)  # the confidence term lies in (-1/2, 1/2)
    assert np.array_equal(model.predict(X_test), model.classes_[ovr.argmax(axis=1)])


@pytest.mark.parametrize(
    "params",
    [
        {"kernel": "linear"},
        {"kernel": "poly", "degree": 3, "coef0": 1.0},
        {"kernel": "poly", "degree": 2, "gamma": "auto"},
        {"kernel": "sigmoid", "gamma": 0.01, "coef0": -1.0},
        {"kernel": "rbf", "gamma": 0.05},
    ],
)
def test_every_kernel_matches_libsvm(params):
    X, y, X_test, _ = standardised("breast_cancer")
    ours, theirs = SVMClassifier(**params).fit(X, y), SVC(**params).fit(X, y)
    assert np.abs(ours.decision_function(X_test) - theirs.decision_function(X_test)).max() < 1e-2
    assert set(ours.support_) == set(theirs.support_)


def test_precomputed_and_callable_kernels_give_the_builtin_solution():
    X, y, X_test, _ = standardised("breast_cancer")
    builtin = SVMClassifier(kernel="poly", gamma=0.1, coef0=1.0).fit(X, y)

    def kernel(A, B):
        return polynomial_kernel(A, B, degree=3, gamma=0.1, coef0=1.0)

    precomputed = SVMClassifier(kernel="precomputed").fit(kernel(X, X), y)
    assert precomputed.__sklearn_tags__().input_tags.pairwise
    expected = builtin.decision_function(X_test)
    assert np.allclose(precomputed.decision_function(kernel(X_test, X)), expected, atol=1e-9)
    assert np.allclose(SVMClassifier(kernel=kernel).fit(X, y).decision_function(X_test), expected,
                       atol=1e-9)


# ---------------------------------------------------------------- regression


@pytest.mark.parametrize("params", [{}, {"C": 10.0, "epsilon": 0.05}, {"kernel": "linear"}])
def test_svr_matches_libsvm_and_keeps_the_tube(params):
    X, y = sine_data()
    ours, theirs = SVMRegressor(**params).fit(X, y), SVR(**params).fit(X, y)
    assert np.abs(ours.predict(X) - theirs.predict(X)).max() < 1e-2
    A, B = set(ours.support_), set(theirs.support_)
    assert len(A & B) / len(A | B) >= 0.95
    # KKT of the epsilon tube: inside it alpha = 0, outside |alpha - alpha*| = C, free
    # support vectors on its edge (to tol)
    epsilon, C = ours.epsilon, ours.C
    residual = y - ours.predict(X)
    coef = np.zeros(len(y))
    coef[ours.support_] = ours.dual_coef_[0]
    assert np.all(coef[np.abs(residual) < epsilon - 1e-3] == 0)
    assert np.allclose(np.abs(coef[np.abs(residual) > epsilon + 1e-3]), C)
    free = (np.abs(coef) > 0) & (np.abs(coef) < C)
    assert np.abs(np.abs(residual[free]) - epsilon).max() < 1e-3
    assert abs(coef.sum()) < 1e-10  # sum (alpha - alpha*) = 0


# ---------------------------------------------------------------- Platt scaling


def test_platt_newton_reaches_the_minimum_found_by_bfgs():
    rng = np.random.RandomState(0)
    positive = rng.rand(300) < 0.4
    decision = np.where(positive, 1.0, -1.0) + 1.2 * rng.standard_normal(300)
    A, B = platt_sigmoid(decision, positive)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    targets = np.where(positive, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    reference = minimize(lambda v: _sigmoid_terms(*v, decision, targets)[0], [0.0, 0.0],
                         method="BFGS", options={"gtol": 1e-10})
    assert np.allclose([A, B], reference.x, atol=1e-4)
    assert A < 0  # probability of the positive class rises with the decision value


def test_platt_gradient_and_hessian_match_central_differences():
    rng = np.random.RandomState(1)
    decision, targets = rng.standard_normal(50), rng.uniform(0.05, 0.95, 50)
    params = np.array([-1.3, 0.4])
    _, gradient, hessian = _sigmoid_terms(*params, decision, targets)
    assert relative_error(gradient, numerical_gradient(
        lambda: _sigmoid_terms(*params, decision, targets)[0], params)) < 1e-6
    for row in range(2):
        def gradient_entry():
            return _sigmoid_terms(*params, decision, targets)[1][row]

        assert relative_error(hessian[row], numerical_gradient(gradient_entry, params)) < 1e-6


def test_pairwise_coupling_recovers_consistent_probabilities():
    # When r_ab = p_a / (p_a + p_b) exactly, Wu, Lin & Weng's second method returns p.
    p = np.random.RandomState(0).dirichlet(np.ones(4), size=5)
    pairs = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    pairwise = np.column_stack([p[:, a] / (p[:, a] + p[:, b]) for a, b in pairs])
    assert np.allclose(couple_pairwise(pairwise, 4), p, atol=1e-12)


@pytest.mark.filterwarnings("ignore:The `probability` parameter was deprecated:FutureWarning")
def test_predict_proba_is_calibrated_like_libsvm():
    # Measured test log-loss on breast cancer: 0.110 (SVC: 0.110).
    from sklearn.metrics import log_loss

    X, y, X_test, y_test = standardised("breast_cancer")
    ours = SVMClassifier(probability=True, random_state=0).fit(X, y)
    theirs = SVC(probability=True, random_state=0).fit(X, y)
    proba = ours.predict_proba(X_test)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert log_loss(y_test, proba) < log_loss(y_test, theirs.predict_proba(X_test)) + 0.02
    data = load("iris", random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    model = SVMClassifier(probability=True, random_state=0)
    model.fit(scaler.transform(data.X_train), data.y_train)
    proba = model.predict_proba(scaler.transform(data.X_test))
    assert proba.shape == (len(data.X_test), 3) and np.allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba >= 0)
    assert np.mean(proba.argmax(axis=1) == data.y_test) >= 0.9
    assert np.allclose(np.exp(model.predict_log_proba(scaler.transform(data.X_test))), proba)


# ---------------------------------------------------------------- Pegasos


def primal_objective(w, b, X, signs, C):
    """LinearSVC's hinge objective 1/2 (||w||^2 + b^2) + C sum hinge (bias regularised)."""
    return 0.5 * (w @ w + b * b) + C * np.maximum(0.0, 1.0 - signs * (X @ w + b)).sum()


def test_pegasos_reaches_the_primal_optimum():
    # lambda = 1 / (C n) with C = 1; minibatches of 32, 1000 passes. The optimum comes from
    # liblinear (LinearSVC, hinge loss, tol 1e-8), whose bias is regularised as Pegasos's.
    # Measured gaps over random_state 0..7: 0.29% to 0.70% (0.35% for 0).
    X, y, _, _ = standardised("breast_cancer")
    signs = np.where(y == 1, 1.0, -1.0)
    optimum = LinearSVC(C=1.0, loss="hinge", tol=1e-8, max_iter=10**6).fit(X, y)
    best = primal_objective(optimum.coef_[0], optimum.intercept_[0], X, signs, 1.0)
    model = SVMClassifier(kernel="linear", solver="pegasos", batch_size=32, max_iter=1000,
                          random_state=0).fit(X, y)
    assert model.lambda_ == pytest.approx(1.0 / len(X))
    reached = primal_objective(model.coef_[0], model.intercept_[0], X, signs, 1.0)
    assert best <= reached <= 1.01 * best


def test_pegasos_partial_fit_continues_the_same_stream():
    X, y, X_test, _ = standardised("breast_cancer")
    params = {"kernel": "linear", "solver": "pegasos", "batch_size": 8, "random_state": 3}
    fitted = SVMClassifier(max_iter=3, **params).fit(X, y)
    streamed = SVMClassifier(**params)
    for _ in range(3):
        streamed.partial_fit(X, y, classes=[0, 1])
    assert streamed.t_ == fitted.t_ == 3 * int(np.ceil(len(X) / 8))
    assert np.allclose(streamed.decision_function(X_test), fitted.decision_function(X_test))


def test_pegasos_one_vs_rest_and_regression():
    data = load("iris", random_state=0)
    scaler = StandardScaler().fit(data.X_train)
    # one-vs-rest, 100 passes: measured 0.92 (liblinear with the hinge loss: 0.92)
    model = SVMClassifier(kernel="linear", solver="pegasos", C=10.0, max_iter=100, random_state=0)
    model.fit(scaler.transform(data.X_train), data.y_train)
    assert model.coef_.shape == (3, 4)
    assert model.decision_function(data.X_test).shape == (len(data.X_test), 3)
    assert model.score(scaler.transform(data.X_test), data.y_test) >= 0.9
    # regression: the same bias-regularised objective as liblinear's LinearSVR with the
    # epsilon-insensitive loss; C = 0.1, minibatches of 8, 100 passes, measured gap 0.03%
    rng = np.random.RandomState(0)
    X = rng.standard_normal((300, 5))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 3.0]) + 0.3 * rng.standard_normal(300)

    def objective(w, b):
        return 0.5 * (w @ w + b * b) + 0.1 * np.maximum(0.0, np.abs(y - X @ w - b) - 0.1).sum()

    optimum = LinearSVR(C=0.1, epsilon=0.1, tol=1e-8, max_iter=10**6).fit(X, y)
    regressor = SVMRegressor(kernel="linear", solver="pegasos", C=0.1, epsilon=0.1, batch_size=8,
                             max_iter=100, random_state=0).fit(X, y)
    best = objective(optimum.coef_, optimum.intercept_[0])
    assert objective(regressor.coef_[0], regressor.intercept_[0]) <= 1.01 * best


def test_epsilon_insensitive_gradient_matches_central_differences():
    rng = np.random.RandomState(0)
    target = rng.standard_normal((20, 1))
    offsets = rng.choice([-1.0, 1.0], (20, 1)) * rng.uniform(0.3, 1.0, (20, 1))
    offsets[::3] = 0.05  # inside the tube: zero gradient
    loss = functools.partial(epsilon_insensitive, epsilon=0.2)
    assert check_loss(loss, target + offsets, target) < 1e-6


# ---------------------------------------------------------------- options


def test_class_weight_bounds_the_dual_variables_per_class():
    X, y, X_test, y_test = standardised("breast_cancer")
    model = SVMClassifier(class_weight={0: 0.2, 1: 1.0}).fit(X, y)
    coef = np.abs(model.dual_coef_[0])
    of_class = y[model.support_]
    assert coef[of_class == 0].max() <= 0.2 + 1e-12
    assert np.isclose(coef[of_class == 0].max(), 0.2)  # some reach their bound
    balanced = SVMClassifier(class_weight="balanced").fit(X, y)
    counts = np.bincount(y)
    assert np.allclose(balanced.class_weight_, len(y) / (2 * counts))


def test_max_iter_stops_smo_with_a_warning():
    X, y, _, _ = standardised("breast_cancer")
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        model = SVMClassifier(max_iter=5).fit(X, y)
    assert model.n_iter_[0] == 5


def test_decision_regions_figure_draws():
    Figure = pytest.importorskip("matplotlib.figure").Figure
    data = load("iris", random_state=0)
    model = SVMClassifier().fit(data.X_train, data.y_train)
    figure = Figure()
    decision_regions_figure(model, data, figure)
    assert len(figure.axes) >= 2


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"C": 0.0}, ValueError, "C must be a real number in"),
        ({"kernel": "laplacian"}, ValueError, "kernel must be one of 'linear', 'poly'"),
        ({"gamma": "big"}, ValueError, "gamma must be one of 'auto', 'scale'"),
        ({"gamma": -1.0}, ValueError, "gamma must be a real number in"),
        ({"degree": 2.5}, TypeError, "degree must be an int"),
        ({"tol": 0.0}, ValueError, "tol must be a real number in"),
        ({"max_iter": 0}, ValueError, "max_iter must be an int"),
        ({"cache_size": -1.0}, ValueError, "cache_size must be a real number"),
        ({"solver": "qp"}, ValueError, "solver must be one of 'pegasos', 'smo'"),
        ({"shrinking": "yes"}, ValueError, "shrinking must be True or False"),
        ({"solver": "pegasos"}, ValueError, "solver='pegasos' is a primal solver for the linear"),
        ({"alpha": 0.0}, ValueError, "alpha must be a real number in"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int"),
    ],
)
@pytest.mark.parametrize("Estimator", [SVMClassifier, SVMRegressor])
def test_invalid_hyperparameters(Estimator, params, error, message):
    X, y, _, _ = standardised("iris")
    with pytest.raises(error, match=message):
        Estimator(**params).fit(X, y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"class_weight": "even"}, "class_weight must be one of 'balanced', None"),
        ({"class_weight": {7: 2.0}}, "not in class_weight|7"),
        ({"probability": 1}, "probability must be True or False"),
        ({"decision_function_shape": "ova"}, "decision_function_shape must be one of"),
        ({"kernel": "linear", "solver": "pegasos", "probability": True}, "need solver='smo'"),
    ],
)
def test_invalid_classifier_options(params, message):
    X, y, _, _ = standardised("iris")
    with pytest.raises(ValueError, match=message):
        SVMClassifier(**params).fit(X, y)


def test_bad_data_is_refused_with_a_clear_error():
    X, y, _, _ = standardised("iris")
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SVMClassifier().fit(X_nan, y)
    with pytest.raises(ValueError, match="only one class"):
        SVMClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        SVMClassifier().fit(X, np.linspace(0, 1, len(X)))
    with pytest.raises(ValueError, match="requires y"):
        SVMRegressor().fit(X, None)
    with pytest.raises(ValueError, match="needs the square matrix"):
        SVMClassifier(kernel="precomputed").fit(X, y)
    with pytest.raises(ValueError, match=r"kernel callable must return a finite array of shape"):
        SVMClassifier(kernel=lambda A, B: A @ B[:1].T).fit(X, y)
    for Estimator in (SVMClassifier, SVMRegressor):
        with pytest.raises(NotFittedError):
            Estimator().predict(X)
        model = Estimator().fit(X, y)
        with pytest.raises(ValueError, match="expecting 4 features"):
            model.predict(X[:, :3])
        X_inf = X.copy()
        X_inf[1, 1] = np.inf
        with pytest.raises(ValueError, match="infinity"):
            model.predict(X_inf)


def test_methods_of_other_settings_are_absent():
    X, y, _, _ = standardised("iris")
    model = SVMClassifier().fit(X, y)
    for method, estimator, why in [
        ("predict_proba", model, "probability=True"),
        ("partial_fit", model, "solver='pegasos'"),
        ("partial_fit", SVMRegressor(), "solver='pegasos'"),
    ]:
        assert not hasattr(estimator, method)
        with pytest.raises(AttributeError, match=f"has no attribute '{method}'") as raised:
            getattr(estimator, method)
        assert why in str(raised.value.__cause__)


def test_partial_fit_needs_classes_and_refuses_new_labels_and_balanced_weights():
    X, y, _, _ = standardised("iris")
    pegasos = {"kernel": "linear", "solver": "pegasos"}
    with pytest.raises(ValueError, match="classes must be passed"):
        SVMClassifier(**pegasos).partial_fit(X, y)
    with pytest.raises(ValueError, match="class_weight='balanced' needs all labels"):
        SVMClassifier(class_weight="balanced", **pegasos).partial_fit(X, y, classes=[0, 1, 2])
    model = SVMClassifier(**pegasos).partial_fit(X[y < 2], y[y < 2], classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[2\] are not among the classes"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError, match="expecting 4 features"):
        model.partial_fit(X[:, :3], y)
