import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

from zoo.core.gradcheck import numerical_gradient, relative_error
from zoo.core.readout import LogisticReadout, RidgeReadout, logistic_objective, solve_ridge

RNG = np.random.default_rng(0)


def test_ridge_solutions_satisfy_the_normal_equations_and_agree():
    H, Y = RNG.standard_normal((50, 20)), RNG.standard_normal((50, 3))
    alpha = 0.7
    primal = solve_ridge(H, Y, alpha, "primal")
    dual = solve_ridge(H, Y, alpha, "dual")
    residual = H.T @ (H @ primal - Y) + alpha * primal
    assert np.linalg.norm(residual) < 1e-10 * np.linalg.norm(H.T @ Y)
    assert np.allclose(primal, dual, atol=1e-10)


def test_auto_picks_the_dual_for_wide_problems_and_pinv_without_ridge():
    H, Y = RNG.standard_normal((10, 40)), RNG.standard_normal((10, 2))
    assert np.allclose(solve_ridge(H, Y, 0.5), solve_ridge(H, Y, 0.5, "dual"))
    exact = solve_ridge(H, Y, 0.0)
    assert np.allclose(H @ exact, Y, atol=1e-10)  # wide H interpolates
    assert np.allclose(exact, np.linalg.pinv(H) @ Y, atol=1e-10)  # minimum norm


def test_bad_ridge_method():
    with pytest.raises(ValueError, match="valid"):
        solve_ridge(np.eye(2), np.eye(2), 1.0, "cholesky")
    with pytest.raises(ValueError, match="alpha=0"):
        solve_ridge(np.eye(2), np.eye(2), 1.0, "pinv")


def test_readout_matches_sklearn_ridge_with_an_unpenalised_intercept():
    H = RNG.standard_normal((80, 6)) + 3
    Y = H @ RNG.standard_normal((6, 2)) + 5 + 0.1 * RNG.standard_normal((80, 2))
    readout = RidgeReadout(alpha=2.0).fit(H, Y)
    reference = Ridge(alpha=2.0).fit(H, Y)
    assert np.allclose(readout.coef_, reference.coef_.T, atol=1e-10)
    assert np.allclose(readout.intercept_, reference.intercept_, atol=1e-10)


def test_partial_fit_in_chunks_is_exactly_one_fit():
    H, Y = RNG.standard_normal((90, 5)), RNG.standard_normal(90)
    whole = RidgeReadout(alpha=0.1).fit(H, Y)
    pieces = RidgeReadout(alpha=0.1)
    for chunk in np.array_split(np.arange(90), 4):
        pieces.partial_fit(H[chunk], Y[chunk])
    assert np.allclose(pieces.coef_, whole.coef_, atol=1e-12)
    assert np.allclose(pieces.predict(H), whole.predict(H), atol=1e-12)


# ---------------------------------------------------------------- logistic readout


def three_classes(n=150, d=5):
    H = RNG.standard_normal((n, d)) + 0.5
    logits = H @ RNG.standard_normal((d, 3)) + RNG.gumbel(size=(n, 3))
    return H, logits.argmax(axis=1)


def test_logistic_gradient_is_the_central_difference():
    H, codes = three_classes(40, 4)
    theta = RNG.standard_normal((4 + 1) * 3)
    analytic = logistic_objective(theta, H, codes, 0.7)[1]
    numeric = numerical_gradient(lambda: logistic_objective(theta, H, codes, 0.7)[0], theta)
    assert relative_error(analytic, numeric) < 1e-6


def test_logistic_optimum_is_stationary_and_is_sklearns_with_c_one_over_alpha():
    """sum_i CE_i + (alpha / 2) ||W||^2 is sklearn's objective with C = 1 / alpha."""
    H, codes = three_classes()
    alpha = 2.0
    readout = LogisticReadout(alpha=alpha, tol=1e-10).fit(H, codes, 3)
    assert readout.coef_.shape == (5, 3) and readout.intercept_.shape == (3,)
    assert 0 < readout.n_iter_ <= readout.max_iter
    theta = np.concatenate([readout.coef_.ravel(), readout.intercept_])
    at_start = logistic_objective(np.zeros_like(theta), H, codes, alpha)[1]
    at_optimum = logistic_objective(theta, H, codes, alpha)[1]
    assert np.linalg.norm(at_optimum) < 1e-5 * np.linalg.norm(at_start)
    reference = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=10_000).fit(H, codes)
    np.testing.assert_allclose(readout.coef_, reference.coef_.T, atol=1e-4)
    centred = reference.intercept_ - reference.intercept_.mean()  # softmax ignores a shift
    np.testing.assert_allclose(readout.intercept_, centred, atol=1e-4)
    proba = readout.predict_proba(H)
    np.testing.assert_allclose(proba, reference.predict_proba(H), atol=1e-4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_logistic_readout_warns_when_stopped_by_max_iter():
    H = np.array([[-2.0], [-1.0], [1.0], [2.0]])  # separable: no finite optimum at alpha=0
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        readout = LogisticReadout(alpha=0.0, max_iter=3).fit(H, [0, 0, 1, 1], 2)
    assert readout.n_iter_ == 3
