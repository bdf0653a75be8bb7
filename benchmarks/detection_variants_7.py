"""Variant of round 9 of issue 14's ablation (``results/detection_ablation_6.md``), for
``detection.py --extra``: ``AE.f16``, the ``AutoEncoder`` with one code per 16 features
for ``n_components="auto"`` (within [2, 32]) instead of one per 32. It changes the sets
of 48 features or more: SpamBase (57: 3 codes), campaign (62: 3), musk (166: 10),
InternetAds (1,555: 32, as before), one-class MNIST (784: 32, was 24) and the 512-feature
embedding stand-in (32, was 16)."""

from collections.abc import Callable

import skae


class _SixteenPerCode(skae.AutoEncoder):
    def _n_codes(self) -> int:
        if self.n_components == "auto":
            return int(min(32, max(2, self.n_features_in_ // 16)))
        return self.n_components


_SixteenPerCode.__name__ = "AutoEncoder"


def _factory(seed: int) -> skae.AutoEncoder:
    return _SixteenPerCode(random_state=seed)


EXTRA: dict[str, Callable[[int], skae.AutoEncoder]] = {"AE.f16": _factory}
