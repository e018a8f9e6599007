"""GRU: the adding problem, digits read row by row, both reset modes in the
estimator, bad input."""

import pytest

from gated_tasks import (
    check_adding_problem_t50,
    check_bad_input,
    check_cell_options_reach_the_layer,
    check_digits_read_row_by_row,
)

from zoo.models.gru import GRUClassifier, GRURegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.slow
def test_adding_problem_t50():
    """Thresholds in gated_tasks (measured: MSE 0.0003, 98% within 0.04, after 600 updates)."""
    check_adding_problem_t50(GRURegressor, max_iter=25)


@pytest.mark.slow
def test_digits_read_row_by_row():
    """Test accuracy >= 0.95 (measured: 0.976)."""
    check_digits_read_row_by_row(GRUClassifier)


@pytest.mark.parametrize("options,n_params", [
    ({}, 3 * (4 * (2 + 4) + 4)),
    ({"reset_after": True}, 3 * (4 * (2 + 4) + 4) + 4),
])
def test_cell_options_reach_the_layer(options, n_params):
    check_cell_options_reach_the_layer(GRURegressor, options, n_params)


@pytest.mark.parametrize("cls", [GRUClassifier, GRURegressor])
def test_bad_input(cls):
    check_bad_input(cls, is_classifier=cls is GRUClassifier)
