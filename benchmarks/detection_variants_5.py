"""Ablation round 5 of issue 14, for ``detection.py --extra``: the denoising
kind's default noise level.

``DenoisingAutoEncoder`` corrupts its standardised training inputs with
Gaussian noise of ``noise_std`` (default 0.5). The corruption makes the
network shrink its reconstructions towards the data, a bias that shows when
the test-time noise is smaller than the training noise (``quality.py``'s
amplification table). These detectors are the same kind at lower levels:

* ``DAE.n03``: ``noise_std=0.3``;
* ``DAE.n02``: ``noise_std=0.2``;
* ``DAE.n01``: ``noise_std=0.1``.

Commands and tables: ``benchmarks/results/detection_ablation_4.md``.
"""

import skae

EXTRA = {
    f"DAE.n0{level}": (
        lambda seed, level=level: skae.DenoisingAutoEncoder(noise_std=level / 10, random_state=seed)
    )
    for level in (3, 2, 1)
}
