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
            "Declared, though it passes here (XPASS): outside training the encoder and "
            "the decoder pad a batch of fewer than 16 rows with copies of its last row "
            "(skae._architectures.MIN_INFERENCE_ROWS), and the "
            "BLAS measured here then computes each row alike at any batch size and "
            "thread count. That is the BLAS's and the CPU's doing, not skae's: one that "
            "picks its float32 kernels by other rules makes a row's codes differ in "
            "the last bits with the batch around it, about 1e-6 of an outlier score "
            "(which divides by the training error), above the check's 1e-7 tolerance. "
            "Scores stay deterministic: the same rows in the same call give the same "
            "result (tests/test_protocol.py::test_inference_is_deterministic)."
        )
    }


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
