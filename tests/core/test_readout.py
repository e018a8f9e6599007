import numpy as np
import pytest
from sklearn.linear_model import Ridge

from zoo.core.readout import RidgeReadout, solve_ridge

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
