"""Masking a categorical column whole in the imputer's training (rejected).

``DenoisingAutoEncoder(noise="mask")``, the default estimator of
``AutoEncoderImputer``, masks each encoded entry on its own, so a categorical
column's one-hot block is masked whole rarely (1.6% of the rows for three
categories at ``mask_rate=0.25``) and partly often (57%), a state inference never
sees. The variant masks each input column whole (one draw per row and column).
Three mixed tables (a synthetic one with a three-category column that follows
the numbers, a synthetic one with two binary columns and their four-category
combination, and the penguins of ``palmerpenguins``), seeds 0-2, 70/30 split,
20% of the entries removed from both parts: accuracy on the removed categories
and RMSE (in training standard deviations) on the removed numbers, of the
default imputer with each masking.

    python benchmarks/mask_blocks.py
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch

from skae import AutoEncoderImputer, DenoisingAutoEncoder
from skae._corruption import MaskingNoise


class BlockMasking(MaskingNoise):
    """Each input column masked whole: ``columns`` maps encoded entries to columns."""

    def __init__(self, rate: float, columns: np.ndarray) -> None:
        super().__init__(rate)
        self.columns = columns

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        columns = torch.as_tensor(self.columns, device=x.device)
        drawn = torch.rand(len(x), int(self.columns.max()) + 1, dtype=x.dtype, device=x.device)
        return x.masked_fill(drawn[:, columns] < self.rate, float("nan"))


def block_corruption(self):
    encoding = self._encoding()
    if self.noise != "mask" or encoding is None:
        return ENTRY_CORRUPTION(self)
    widths = encoding.widths
    return BlockMasking(self.mask_rate, np.repeat(np.arange(len(widths)), widths))


ENTRY_CORRUPTION = DenoisingAutoEncoder._make_corruption


def synthetic(seed: int, n: int = 1500) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n)
    kind = np.digitize(x + 0.3 * rng.normal(size=n), [-0.43, 0.43])
    return pd.DataFrame(
        {
            "x": x,
            "y": x + 0.3 * rng.normal(size=n),
            "w": -x + 0.3 * rng.normal(size=n),
            "c": pd.Categorical(np.array(["a", "b", "c"])[kind]),
        }
    )


def binary(seed: int, n: int = 1500) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 2))
    return pd.DataFrame(
        {
            "x": z[:, 0] + 0.3 * rng.normal(size=n),
            "y": z[:, 1] + 0.3 * rng.normal(size=n),
            "s": pd.Categorical(np.where(z[:, 0] > 0, "p", "q")),
            "t": pd.Categorical(np.where(z[:, 1] > 0, "u", "v")),
            "k": pd.Categorical(np.array(list("abcd"))[(z[:, 0] > 0) * 2 + (z[:, 1] > 0)]),
        }
    )


def penguins(seed: int) -> pd.DataFrame:
    import palmerpenguins

    frame = palmerpenguins.load_penguins().drop(columns=["year"])
    for column in ("species", "island", "sex"):
        frame[column] = frame[column].astype("category")
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def holes(frame: pd.DataFrame, rate: float, rng: np.random.RandomState):
    out = frame.copy()
    mask = rng.uniform(size=frame.shape) < rate
    for j, column in enumerate(frame.columns):
        out.loc[mask[:, j], column] = np.nan
    return out, mask


def measure(frame: pd.DataFrame, seed: int) -> tuple[float, float]:
    rng = np.random.RandomState(seed + 100)
    cut = int(0.7 * len(frame))
    train, test = frame.iloc[:cut], frame.iloc[cut:]
    holed_train, _ = holes(train, 0.2, rng)
    holed_test, mask = holes(test, 0.2, rng)
    out = AutoEncoderImputer(random_state=seed).fit(holed_train).transform(holed_test)
    accuracy, error = [], []
    for j, column in enumerate(frame.columns):
        removed = mask[:, j] & test[column].notna().to_numpy()
        if not removed.any():
            continue
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            filled = out[column].astype(str).to_numpy()[removed]
            accuracy.append(np.mean(filled == test[column].astype(str).to_numpy()[removed]))
        else:
            filled = out[column].to_numpy(float)[removed]
            truth = test[column].to_numpy(float)[removed]
            error.append(np.sqrt(np.mean(((filled - truth) / train[column].std()) ** 2)))
    return float(np.mean(accuracy)), float(np.mean(error))


def main() -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    print("| table | masking | category accuracy, seeds 0 / 1 / 2 | mean | number RMSE | mean |")
    print("|---|---|---|---:|---|---:|")
    for name, make in (("synthetic", synthetic), ("binary", binary), ("penguins", penguins)):
        for masking, corruption in (
            ("each entry", ENTRY_CORRUPTION),
            ("each column", block_corruption),
        ):
            DenoisingAutoEncoder._make_corruption = corruption
            try:
                results = [measure(make(seed), seed) for seed in (0, 1, 2)]
            finally:
                DenoisingAutoEncoder._make_corruption = ENTRY_CORRUPTION
            accuracy, error = np.array(results).T
            print(
                f"| {name} | {masking} | {' / '.join(f'{a:.3f}' for a in accuracy)} | "
                f"{accuracy.mean():.3f} | {' / '.join(f'{e:.3f}' for e in error)} | "
                f"{error.mean():.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
