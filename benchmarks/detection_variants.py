"""Ablation variants of AutoEncoder's detection defaults, for ``detection.py --extra``.

Run against commit 3592149 (the code before issue 14's defaults), whose
``AutoEncoder`` scored codes under the BIC-chosen mixture and trained 20
epochs of a 64-32 network. Each variant changes one internal at a time:

* ``g1``: the code term under one Gaussian instead of the mixture (the
  mixture's candidates restricted to one component), which became the
  default;
* ``trim10``: a trimmed reconstruction loss, the 10% worst rows of each
  batch left out of the gradient;
* ``z``: the two score terms combined as robust z-scores (median and IQR
  on the training rows) instead of summed;
* ``rec`` / ``raw`` / ``lat``: one score term alone;
* ``E``: ``ceil(150000 / n_samples)`` epochs within [10, 200];
* ``H``: the first hidden layer the power of two nearest ``n_features``
  within [64, 512], the second half as wide (became ``"auto"``);
* ``cap``: ``H`` plus ``n_components = round(sqrt(n_features))`` within
  [2, 32];
* ``e60``: 60 epochs.

Command (seed 0, all views)::

    git checkout 3592149 -- skae
    python benchmarks/detection.py --seeds 0 --jobs 2 \
        --extra benchmarks/detection_variants.py --detectors AutoEncoder AE.g1 ...
"""

import math
from unittest import mock

import torch

import skae
from skae import _latent_density
from skae._reconstruction import SquaredError


class Trimmed(SquaredError):
    def __init__(self, q):
        super().__init__()
        self.q = q

    def forward(self, out, x):
        per = super().forward(out, x)
        if not self.training or len(per) < 4:
            return per
        k = max(1, int(math.ceil((1 - self.q) * len(per))))
        threshold = per.detach().kthvalue(k).values
        mask = (per.detach() <= threshold).to(per.dtype)
        return per * mask * (len(per) / mask.sum())


def make(components=None, trim=None, score=None, **params):
    class Variant(skae.AutoEncoder):
        def _make_criterion(self, n_features):
            if trim:
                return Trimmed(trim)
            return super()._make_criterion(n_features)

        def _fit_scoring(self, x, seed):
            if components is None:
                return super()._fit_scoring(x, seed)
            with mock.patch.object(_latent_density, "COMPONENT_CANDIDATES", components):
                return super()._fit_scoring(x, seed)

        def _combined_score(self, errors, z):
            if score is None:
                return super()._combined_score(errors, z)
            weights = torch.as_tensor(
                1.0 / (len(self.error_scale_) * self.error_scale_), dtype=errors.dtype
            )
            rec = (errors @ weights).double()
            lat = _latent_density.log_density(self.latent_density_, z) / self.n_components
            if score == "rec":
                return -rec
            if score == "lat":
                return lat
            if score == "raw":
                return -errors.double().mean(dim=1)
            raise ValueError(score)

    Variant.__name__ = "AutoEncoder"
    return lambda seed: Variant(random_state=seed, **params)


EXTRA = {
    "AE.g1": make(components=(1,)),
    "AE.trim10": make(trim=0.1),
    "AE.trim10.g1": make(components=(1,), trim=0.1),
    "AE.rec": make(score="rec"),
    "AE.raw": make(score="raw"),
    "AE.lat": make(score="lat"),
    "AE.g1.lat": make(components=(1,), score="lat"),
    "AE.e60": make(max_epochs=60),
    "AE.e60.trim10.g1": make(components=(1,), trim=0.1, max_epochs=60),
}


def make2(
    components=None, trim=None, combine="sum", k_rule=None, hidden=None, epochs=None, **params
):
    """combine: 'sum' (today's), 'z' (robust z-scores of both terms on the training data)."""
    base = make(components=components, trim=trim, **params)

    def factory(seed):
        est = base(seed)
        cls = type(est)

        class V2(cls):
            def _fit(self, X, *, partial):
                d = X.shape[1]
                if k_rule == "sqrt":
                    self.n_components = int(max(2, min(32, round(d**0.5))))
                if epochs is not None:
                    budget, lo, hi = epochs
                    self.max_epochs = int(min(hi, max(lo, -(-budget // X.shape[0]))))
                if hidden == "auto":
                    h1 = int(min(512, max(64, 2 ** round(math.log2(max(d, 1))))))
                    self.hidden_layer_sizes = (h1, max(32, h1 // 2))
                return super()._fit(X, partial=partial)

            def _fit_scoring(self, x, seed):
                self._stats = None
                out = super()._fit_scoring(x, seed)
                if combine == "z":
                    errs, z = [], []
                    with torch.inference_mode():
                        o = self.net_.module_(x)
                        errs = self.net_.criterion_.per_feature(o, x)
                        z = o["z"]
                    rec, lat = self._terms(errs, z)

                    def robust(t):
                        q1, med, q3 = torch.quantile(
                            t, torch.tensor([0.25, 0.5, 0.75], dtype=t.dtype)
                        )
                        return med, (q3 - q1).clamp_min(1e-12)

                    self._stats = (robust(rec), robust(lat))
                    return None
                return out

            def _terms(self, errors, z):
                weights = torch.as_tensor(
                    1.0 / (len(self.error_scale_) * self.error_scale_), dtype=errors.dtype
                )
                rec = (errors @ weights).double()
                lat = _latent_density.log_density(self.latent_density_, z) / self.n_components
                return rec, lat

            def _combined_score(self, errors, z):
                if combine == "sum" or self._stats is None:
                    return super()._combined_score(errors, z)
                rec, lat = self._terms(errors, z)
                (mr, sr), (ml, sl) = self._stats
                return (lat - ml) / sl - (rec - mr) / sr

        V2.__name__ = "AutoEncoder"
        new = V2(**est.get_params())
        return new

    return factory


EXTRA.update(
    {
        "AE.z": make2(combine="z"),
        "AE.g1.z": make2(components=(1,), combine="z"),
        "AE.trim10.g1.z": make2(components=(1,), trim=0.1, combine="z"),
        "AE.trim10.z": make2(trim=0.1, combine="z"),
        "AE.cap": make2(k_rule="sqrt", hidden="auto"),
        "AE.cap.g1.z": make2(components=(1,), combine="z", k_rule="sqrt", hidden="auto"),
    }
)

E = (150_000, 10, 200)
EXTRA.update(
    {
        "AE.H.g1": make2(components=(1,), hidden="auto"),
        "AE.H.g1.z": make2(components=(1,), hidden="auto", combine="z"),
        "AE.E.g1": make2(components=(1,), epochs=E),
        "AE.E.H.g1": make2(components=(1,), epochs=E, hidden="auto"),
        "AE.E.H.g1.z": make2(components=(1,), epochs=E, hidden="auto", combine="z"),
        "AE.E.H.trim10.g1.z": make2(
            components=(1,), epochs=E, hidden="auto", trim=0.1, combine="z"
        ),
        "AE.E.H": make2(epochs=E, hidden="auto"),
    }
)
