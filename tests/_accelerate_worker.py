"""One process of the data-parallel run in ``test_accelerate.py``.

Started by ``torchrun --standalone --nproc-per-node 2``: every process fits the
same estimators on the same data through an ``Accelerator`` (one continued
with ``partial_fit``, then given a chunk that diverges, one with early
stopping, a denoising one), and writes what it ended with to
``OUT/rank<k>.npz``.
"""

import sys
from pathlib import Path

import numpy as np
import torch

from skae import AutoEncoder, DenoisingAutoEncoder

PARAMS = dict(n_components=3, hidden_layer_sizes=(16,), max_epochs=3, batch_size=32, random_state=0)
#: Stops early, restoring the weights of its best epoch.
EARLY_STOPPING = {**PARAMS, "max_epochs": 40, "lr": 3e-2, "early_stopping": True, "patience": 2}


def data() -> np.ndarray:
    return np.random.RandomState(0).normal(size=(256, 10)).astype(np.float32)


def fitted_arrays(model: AutoEncoder, X: np.ndarray) -> dict[str, np.ndarray]:
    arrays = {f"w/{k}": v.cpu().numpy() for k, v in model.net_.module_.state_dict().items()}
    history = model.net_.history
    arrays["train_loss"] = np.array(history[:, "train_loss"])
    arrays["rows_per_epoch"] = np.array(
        [sum(row.get("train_batch_size", 0) for row in epoch["batches"]) for epoch in history]
    )
    arrays["scores"] = model.score_samples(X)
    arrays["offset"] = np.array(model.offset_)
    return arrays


if __name__ == "__main__":
    from accelerate import Accelerator

    torch.set_num_threads(1)
    out = Path(sys.argv[1])
    accelerator = Accelerator(cpu=True)
    X = data()
    model = AutoEncoder(**PARAMS, accelerator=accelerator).fit(X)
    model.partial_fit(X)
    diverging = X.copy()
    diverging[:, 0] = 1e30
    try:
        model.partial_fit(diverging)
    except FloatingPointError:
        pass
    else:
        raise AssertionError("a chunk of 1e30 trained")
    arrays = fitted_arrays(model, X)
    # Nothing of the failed call stays listed on the accelerator.
    arrays["still_prepared"] = np.array(len(accelerator._models) + len(accelerator._optimizers))
    stopped = AutoEncoder(**EARLY_STOPPING, accelerator=accelerator).fit(X)
    arrays.update({f"early/{k}": v for k, v in fitted_arrays(stopped, X).items()})
    noisy = DenoisingAutoEncoder(**PARAMS, accelerator=accelerator).fit(X)
    arrays.update({f"denoising/{k}": v for k, v in fitted_arrays(noisy, X).items()})
    arrays["n_processes"] = np.array(accelerator.num_processes)
    np.savez(out / f"rank{accelerator.process_index}.npz", **arrays)
