"""scikit-learn's own estimator checks, run on every public estimator."""

from conftest import FAST_ESTIMATORS
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import AutoEncoderImputer, VariationalAutoEncoder

# Small networks and few epochs: the checks fit dozens of times each.
ESTIMATORS = [make(hidden_layer_sizes=(8,), max_epochs=3) for make in FAST_ESTIMATORS.values()]
ESTIMATORS.append(
    AutoEncoderImputer(FAST_ESTIMATORS["AutoEncoder"](hidden_layer_sizes=(8,), max_epochs=3))
)


def expected_failed_checks(estimator) -> dict[str, str]:
    if isinstance(estimator, AutoEncoderImputer):
        # The checks' data are complete: transform returns them unchanged.
        return {}
    if isinstance(estimator, VariationalAutoEncoder):
        # Its score divides by no training error, and the check passes.
        return {}
    return {
        "check_methods_subset_invariance": (
            "The networks compute in float32, and BLAS picks its kernels by the "
            "number of rows, so a row's codes can differ in the last bits with the "
            "batch around it. Outlier scores divide reconstruction errors by their "
            "training mean, which brings such differences to about 1e-6 relative, "
            "above the check's 1e-7 tolerance. Scores are still deterministic: "
            "the same rows in the same call give the same result "
            "(tests/test_protocol.py::test_inference_is_deterministic)."
        )
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
