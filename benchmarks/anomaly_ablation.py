"""Ablation of AutoEncoder's outlier-detection defaults on the ADBench protocol.

Same data, subsampling, splits and scaling as ``benchmarks/anomaly.py``. For
each training configuration (epochs, code size) one AutoEncoder is fitted per
dataset and seed, and its test part is scored five ways:

* ``reconstruction``: the mean squared reconstruction error (the plain score);
* ``normalised``: each feature's error divided by its mean training error
  (``error_scale_``);
* ``latent``: minus the log-density of the code under the one Gaussian fitted
  to the training codes (``code_mean_``, ``code_covariance_``), the code term
  of ``score_samples``;
* ``mixture``: minus the log-density of the code under the Gaussian mixture
  ``latent_density_``, the code term of earlier versions (the ``latent`` of
  ``results/anomaly_ablation.md``);
* ``combined``: normalised error minus the one-Gaussian log-density, each a
  mean per dimension: minus what ``score_samples`` returns (the ADBench rows
  are complete, so the calibration for missing entries leaves it as is; the
  script checks that the two agree).

``results/anomaly_ablation.md`` was measured by an earlier version of this
script, whose ``combined`` score used the mixture; the current score's own
ablation is in ``results/detection_ablation*.md``.

Prints the mean ROC-AUC over datasets of every (configuration, score) pair,
next to IsolationForest's on the same splits.

Run: ``python benchmarks/anomaly_ablation.py`` (the recorded run, five
configurations when the default was 20 epochs, took about 10 minutes on one CPU
thread; ``--seeds 0`` for a quicker look).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anomaly  # noqa: E402  (the benchmark's own data protocol)

from skae import AutoEncoder  # noqa: E402
from skae._latent_density import gaussian_log_density, log_density  # noqa: E402

#: Training configurations: name -> AutoEncoder parameters (besides random_state).
#: The defaults (``max_epochs="auto"``, ``n_components="auto"``) are their own row.
CONFIGS: dict[str, dict] = {
    "defaults": {},
    "10 epochs": {"max_epochs": 10},
    "20 epochs": {"max_epochs": 20},
    "50 epochs": {"max_epochs": 50},
    "100 epochs": {"max_epochs": 100},
    "20 epochs, 4 codes": {"max_epochs": 20, "n_components": 4},
}


def score_variants(model: AutoEncoder, X: np.ndarray) -> dict[str, np.ndarray]:
    """Anomaly scores (higher = more abnormal) of ``X``, five ways."""
    x = model._scaled_tensor(X, model.device_)
    module = model.net_.module_.eval()
    with torch.inference_mode():
        out = module(x)
        errors = model.net_.criterion_.score_terms(out, x).double().numpy()
        gaussian = gaussian_log_density(model.code_mean_, model.code_covariance_, out["z"])
        mixture = log_density(model.latent_density_, out["z"]).numpy()
    gaussian = gaussian.numpy()
    normalised = (errors / model.error_scale_).mean(axis=1)
    combined = normalised - gaussian / model.n_components_
    # "combined" is minus the estimator's own score.
    np.testing.assert_allclose(combined, -model.score_samples(X), rtol=1e-6, atol=1e-9)
    return {
        "reconstruction": errors.mean(axis=1),
        "normalised": normalised,
        "latent": -gaussian,
        "mixture": -mixture,
        "combined": combined,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=anomaly.DEFAULT_DATA)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    threadpool_limits(1)
    print(f"threads: 1; seeds {args.seeds}", flush=True)

    auc: dict[tuple[str, str], list[float]] = {}
    seconds: dict[str, float] = dict.fromkeys(CONFIGS, 0.0)
    for name, path in anomaly.find_datasets(args.data, None).items():
        X, y = anomaly.load(path)
        per_dataset: dict[tuple[str, str], list[float]] = {}
        for seed in args.seeds:
            X_train, X_test, _, y_test = anomaly.split(X, y, seed)
            forest = IsolationForest(random_state=0).fit(X_train)
            per_dataset.setdefault(("IsolationForest", ""), []).append(
                roc_auc_score(y_test, -forest.score_samples(X_test))
            )
            for config, params in CONFIGS.items():
                start = time.perf_counter()
                model = AutoEncoder(random_state=seed, **params).fit(X_train)
                seconds[config] += time.perf_counter() - start
                for score, values in score_variants(model, X_test).items():
                    per_dataset.setdefault((config, score), []).append(
                        roc_auc_score(y_test, values)
                    )
        for key, values in per_dataset.items():
            auc.setdefault(key, []).append(float(np.mean(values)))
        print(f"  {name} done", file=sys.stderr, flush=True)

    print("\n| configuration | score | mean ROC-AUC | fit s |")
    print("|---|---|---|---|")
    for (config, score), values in auc.items():
        fit = f"{seconds[config]:.0f}" if config in seconds else "-"
        print(f"| {config} | {score or '-'} | {np.mean(values):.3f} | {fit} |")


if __name__ == "__main__":
    main()
