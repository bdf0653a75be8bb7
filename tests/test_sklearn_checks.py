"""scikit-learn's own estimator checks, run on every public estimator."""

from conftest import FAST_ESTIMATORS
from sklearn.utils.estimator_checks import parametrize_with_checks

# Small networks and few epochs: the checks fit dozens of times each.
ESTIMATORS = [make(hidden_layer_sizes=(8,), max_epochs=3) for make in FAST_ESTIMATORS.values()]


def expected_failed_checks(estimator) -> dict[str, str]:
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
