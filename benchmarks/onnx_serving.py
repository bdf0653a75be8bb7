"""Serving a fitted model: onnxruntime on the exported graph against skae in PyTorch.

For ``AutoEncoder()`` and ``VariationalAutoEncoder()`` with their defaults,
fitted on 10,000 rows x 50 features (a non-linear image of a 5-dimensional
signal, plus noise; the data of ``streaming.py``), the script measures on
one thread:

- rows per second of ``score_samples`` in skae (PyTorch) and of the
  ``score_samples`` output of :func:`skae.to_onnx`'s graph in onnxruntime,
  for one row per call (2,000 calls), batches of 1,000 rows (100 calls) and
  one batch of 100,000 rows (best of three calls each);
- the peak resident memory of a fresh process that scores 100,000 rows:
  one that imports only onnxruntime and loads the ``.onnx`` file, and one
  that imports skae and loads the model saved by ``skae``'s ``save``;
- the largest difference between the two engines' scores, relative to the
  scores' largest magnitude.

Run: ``python benchmarks/onnx_serving.py`` (about two minutes). Writes
``benchmarks/results/onnx_serving.md`` (``--out`` for another folder).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import skl2onnx
import sklearn
import torch

from skae import AutoEncoder, VariationalAutoEncoder, to_onnx

N_FEATURES, N_LATENT = 50, 5
ROOT = Path(__file__).resolve().parent

#: What each child process runs to score 100,000 rows; it prints its peak memory
#: (Linux: read from /proc).
CHILD = """
import sys, numpy as np
rows = np.load(sys.argv[2])
if sys.argv[1] == "onnxruntime":
    import onnxruntime
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(sys.argv[3], options)
    scores = session.run(["score_samples"], {"X": rows})[0]
    assert "torch" not in sys.modules
else:
    import torch
    torch.set_num_threads(1)
    import skae
    scores = skae.load(sys.argv[3]).score_samples(rows)
assert np.isfinite(scores).all()
# The high-water mark of this process's own memory (ru_maxrss would count
# the parent's pages the fork began with).
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(int(status.split()[0]) / 1024)
"""


def make_data(n_rows: int, seed: int) -> np.ndarray:
    mixing = np.random.RandomState(0)
    first = mixing.normal(size=(N_LATENT, 32)).astype(np.float32)
    second = mixing.normal(size=(32, N_FEATURES)).astype(np.float32) / np.sqrt(32)
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n_rows, N_LATENT)).astype(np.float32)
    noise = 0.05 * rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    return (np.tanh(latent @ first) @ second + noise).astype(np.float32)


def rows_per_second(score, rows: np.ndarray, batch: int, calls: int) -> float:
    """Rows scored per second, best of three rounds of ``calls`` calls."""
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for i in range(calls):
            at = (i * batch) % len(rows)
            score(rows[at : at + batch])
        best = min(best, time.perf_counter() - start)
    return batch * calls / best


def peak_memory_mb(engine: str, rows_path: str, model_path: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, engine, rows_path, model_path],
        check=True,
        capture_output=True,
        text=True,
        env={"OMP_NUM_THREADS": "1", "PATH": ""},
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(name: str, est, X: np.ndarray, rows: np.ndarray, folder: Path) -> dict:
    est.fit(X)
    model = to_onnx(est)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(model.SerializeToString(), options)

    def onnx_scores(batch):
        return session.run(["score_samples"], {"X": batch})[0]

    reference = est.score_samples(rows)
    difference = np.abs(onnx_scores(rows) - reference).max() / np.abs(reference).max()
    result = {"model": name, "max_relative_difference": float(difference)}
    for label, batch, calls in (("1", 1, 2000), ("1,000", 1000, 100), ("100,000", 100_000, 1)):
        result[f"skae_rows_s_{label}"] = rows_per_second(est.score_samples, rows, batch, calls)
        result[f"onnx_rows_s_{label}"] = rows_per_second(onnx_scores, rows, batch, calls)
    onnx_path, skae_path = folder / f"{name}.onnx", folder / f"{name}.skae"
    onnx.save(model, onnx_path)
    est.save(skae_path)
    rows_path = str(folder / "rows.npy")
    result["onnx_peak_mb"] = peak_memory_mb("onnxruntime", rows_path, str(onnx_path))
    result["skae_peak_mb"] = peak_memory_mb("skae", rows_path, str(skae_path))
    result["onnx_file_kb"] = onnx_path.stat().st_size / 1024
    print(json.dumps(result), file=sys.stderr)
    return result


def table(results: list[dict]) -> str:
    lines = [
        "| model | rows per call | skae (PyTorch) rows/s | onnxruntime rows/s | ratio |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for label in ("1", "1,000", "100,000"):
            skae_rate, onnx_rate = r[f"skae_rows_s_{label}"], r[f"onnx_rows_s_{label}"]
            lines.append(
                f"| {r['model']} | {label} | {skae_rate:,.0f} | {onnx_rate:,.0f} "
                f"| {onnx_rate / skae_rate:.1f}x |"
            )
    lines += [
        "",
        "| model | peak memory, onnxruntime process (MB) | peak memory, skae process (MB) "
        "| .onnx file (kB) | largest score difference (relative) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['model']} | {r['onnx_peak_mb']:.0f} | {r['skae_peak_mb']:.0f} "
            f"| {r['onnx_file_kb']:.0f} | {r['max_relative_difference']:.1e} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, rows = make_data(10_000, seed=1), make_data(100_000, seed=2)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        np.save(folder / "rows.npy", rows)
        for name, est in (
            ("AutoEncoder()", AutoEncoder(random_state=0)),
            ("VariationalAutoEncoder()", VariationalAutoEncoder(random_state=0)),
        ):
            results.append(measure(name, est, X, rows, folder))
    versions = (
        f"Python {platform.python_version()}, torch {torch.__version__}, scikit-learn "
        f"{sklearn.__version__}, onnx {onnx.__version__}, onnxruntime "
        f"{onnxruntime.__version__}, skl2onnx {skl2onnx.__version__}; one thread "
        f"({platform.machine()}, {platform.system()})."
    )
    text = (
        "# Serving: onnxruntime against skae in PyTorch\n\n"
        "`python benchmarks/onnx_serving.py`: `score_samples` of the default models fitted "
        "on 10,000 rows x 50 features, scoring held-out rows. Rows per second are the best "
        "of three rounds; peak memory is the resident set of a fresh process that loads "
        "the model and scores 100,000 rows.\n\n"
        f"{table(results)}\n\n{versions}\n"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "onnx_serving.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
