"""Training and inference on a GPU; skipped where torch sees none."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import incomplete_mixed_frame
from numpy.testing import assert_allclose

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("device", ["cuda", "auto"])
def test_fits_and_predicts_on_gpu(make_estimator, blobs, device):
    est = make_estimator(device=device).fit(blobs)
    assert est.device_.type == "cuda"
    assert all(p.is_cuda for p in est.net_.module_.parameters())
    losses = est.net_.history[:, "train_loss"]
    cpu = make_estimator(device="cpu").fit(blobs).net_.history[:, "train_loss"]
    # It learns, and as much as on the CPU: the variational kind's loss, a
    # bound with a floor, fell from 7.35 to 3.60 on the CPU and 7.10 to 3.74
    # on an H200, where the other kinds' more than halve.
    assert losses[-1] < losses[0] - 0.4 * abs(losses[0])
    assert losses[-1] < cpu[-1] + 0.25 * abs(cpu[-1])
    for output in (
        est.transform(blobs),
        est.inverse_transform(est.transform(blobs)),
        est.score_samples(blobs),
        est.sample(3, random_state=0),
    ):
        assert isinstance(output, np.ndarray) and np.all(np.isfinite(output))
    assert est.predict(blobs).dtype.kind == "i"


def test_gpu_fit_is_reproducible(make_estimator, blobs):
    first = make_estimator(device="cuda", random_state=1).fit(blobs).transform(blobs)
    second = make_estimator(device="cuda", random_state=1).fit(blobs).transform(blobs)
    assert_allclose(first, second, rtol=1e-5, atol=1e-6)


LOAD_ON_CPU = """
import pickle, sys
import numpy as np
import torch
assert not torch.cuda.is_available()
est = pickle.load(open(sys.argv[1], "rb"))
X = np.load(sys.argv[2])
np.save(sys.argv[3], est.transform(X))
print(est.device_)
"""


def _run_without_gpu(script, *paths):
    """Run ``script`` in a fresh interpreter that sees no GPU; its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, paths)],
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_gpu_model_loads_on_cpu_only_machine(make_estimator, blobs, tmp_path):
    est = make_estimator(device="cuda").fit(blobs)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(est))
    np.save(tmp_path / "X.npy", blobs)
    device = _run_without_gpu(
        LOAD_ON_CPU, tmp_path / "model.pkl", tmp_path / "X.npy", tmp_path / "codes.npy"
    )
    assert device == "cpu"
    assert_allclose(np.load(tmp_path / "codes.npy"), est.transform(blobs), rtol=1e-4, atol=1e-5)


LOAD_SAVED_ON_CPU = """
import sys, warnings
import numpy as np
import torch
import skae
assert not torch.cuda.is_available()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    est = skae.load(sys.argv[1])
assert any("no GPU" in str(w.message) for w in caught)
np.save(sys.argv[3], est.transform(np.load(sys.argv[2])))
print(est.device_)
"""


def test_gpu_model_saved_without_pickle_loads_on_cpu_only_machine(make_estimator, blobs, tmp_path):
    est = make_estimator(device="cuda").fit(blobs)
    est.save(tmp_path / "model.skae")
    np.save(tmp_path / "X.npy", blobs)
    device = _run_without_gpu(
        LOAD_SAVED_ON_CPU, tmp_path / "model.skae", tmp_path / "X.npy", tmp_path / "codes.npy"
    )
    assert device == "cpu"
    assert_allclose(np.load(tmp_path / "codes.npy"), est.transform(blobs), rtol=1e-4, atol=1e-5)


def test_accelerator_trains_on_the_gpu_in_mixed_precision(blobs, fresh_accelerator_state):
    """Accelerate in one process on the GPU: it places the model there, and
    trains in float16 with a gradient scaler."""
    accelerate = pytest.importorskip("accelerate")
    from skae import AutoEncoder

    accelerator = accelerate.Accelerator(mixed_precision="fp16")
    est = AutoEncoder(max_epochs=20, random_state=0, accelerator=accelerator).fit(blobs)
    assert est.device_.type == "cuda"
    assert all(p.is_cuda and p.dtype == torch.float32 for p in est.net_.module_.parameters())
    losses = est.net_.history[:, "train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    codes = est.transform(blobs)
    assert codes.dtype == blobs.dtype and np.all(np.isfinite(codes))


SCORE_EXPORTED_ON_CPU = """
import sys
import numpy as np
import onnxruntime
session = onnxruntime.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
scores, labels = session.run(["score_samples", "predict"], {"X": np.load(sys.argv[2])})
np.save(sys.argv[3], scores)
np.save(sys.argv[4], labels)
print("torch" in sys.modules)
"""


def test_model_fitted_on_gpu_exports_and_scores_on_cpu_only_process(
    make_estimator, blobs, tmp_path
):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from skae import to_onnx

    X = blobs.astype(np.float32)
    est = make_estimator(device="cuda").fit(X)
    onnx.save(to_onnx(est), tmp_path / "model.onnx")
    # The export worked on a copy: the model is still on the GPU.
    assert all(p.is_cuda for p in est.net_.module_.parameters())
    np.save(tmp_path / "X.npy", X)
    imported_torch = _run_without_gpu(
        SCORE_EXPORTED_ON_CPU,
        tmp_path / "model.onnx",
        tmp_path / "X.npy",
        tmp_path / "scores.npy",
        tmp_path / "labels.npy",
    )
    assert imported_torch == "False"
    scores = est.score_samples(X)
    # The GPU's arithmetic against the CPU's: float32 rounding, amplified a little.
    assert_allclose(np.load(tmp_path / "scores.npy"), scores, rtol=1e-4, atol=1e-4)
    labels = np.load(tmp_path / "labels.npy")
    near_threshold = np.abs(scores - est.offset_) < 1e-3 * np.abs(scores).max()
    np.testing.assert_array_equal(labels[~near_threshold], est.predict(X)[~near_threshold])


def test_variational_scores_draw_alike_on_gpu_and_cpu(blobs, tmp_path):
    from skae import VariationalAutoEncoder, load

    est = VariationalAutoEncoder(max_epochs=10, random_state=0, device="cuda").fit(blobs)
    est.save(tmp_path / "model.skae")
    on_cpu = load(tmp_path / "model.skae", device="cpu")
    # The fixed draws of the bound are the same on both devices: the scores
    # differ by the devices' float32 rounding (other draws would move them
    # by about 1e-2).
    assert_allclose(on_cpu.score_samples(blobs), est.score_samples(blobs), rtol=1e-4)


@pytest.mark.parametrize("kind", ["AutoEncoder", "VariationalAutoEncoder"])
def test_incomplete_and_mixed_rows_fit_on_gpu_as_on_cpu(kind):
    """Missing entries and categorical columns on the GPU: the calibration's
    filled copy (its draws from numpy, the same on either device) runs on
    the device, and the calibration comes out near the CPU's (the networks
    differ by float rounding only)."""
    import skae

    frame = incomplete_mixed_frame(400)
    fitted = {
        device: getattr(skae, kind)(max_epochs=5, random_state=0, device=device).fit(frame)
        for device in ("cuda", "cpu")
    }
    gpu, cpu = fitted["cuda"], fitted["cpu"]
    assert gpu.device_.type == "cuda"
    scores = gpu.score_samples(frame)
    assert np.all(np.isfinite(scores))
    assert np.all(np.isfinite(gpu.missing_shift_)) and np.all(gpu.missing_scale_ > 0)
    assert_allclose(gpu.missing_scale_, cpu.missing_scale_, rtol=0.3)
    flagged = [np.mean(model.predict(frame) == -1) for model in (gpu, cpu)]
    assert abs(flagged[0] - flagged[1]) < 0.03, flagged
