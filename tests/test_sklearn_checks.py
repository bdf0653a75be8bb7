"""scikit-learn's own estimator checks, run on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoEncoder

# Small networks and few epochs: the checks fit dozens of times each.
FAST = dict(n_components=2, hidden_layer_sizes=(8,), max_epochs=3, random_state=0)

ESTIMATORS = [AutoEncoder(**FAST)]


def expected_failed_checks(estimator) -> dict[str, str]:
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
