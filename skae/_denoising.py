"""Denoising autoencoder: corrupt the input in training, reconstruct the clean input."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Callback

from ._base import BaseAutoEncoder
from ._corruption import GaussianNoise, MaskingNoise
from ._docs import fill_doc
from ._net import Corruption
from ._penalties import RegulariserWonCheck


@fill_doc(defaults={"loss": '"squared_error"'})
class DenoisingAutoEncoder(BaseAutoEncoder):
    """Denoising autoencoder: learns to undo a corruption of its input.

    During training each batch is corrupted, ``x~ = c(x)``, and the network is
    trained to reconstruct the clean input:

    .. math:: L = \\frac{1}{n\\,d} \\sum_{i=1}^{n} \\lVert x_i - g(f(\\tilde x_i)) \\rVert^2

    (Vincent et al., 2008). ``transform``, ``inverse_transform`` and
    ``score_samples`` use the clean input; the corruption never applies
    outside training. Use it to clean noisy data (``inverse_transform(transform(X))``),
    or for codes that are robust to small perturbations and missing values.

    The corruption acts on the internally scaled data: Gaussian noise of
    ``noise_std`` times the scale each feature is divided by (its standard
    deviation, or the one shared scale of data on a fixed scale such as
    pixels; see ``scaling``), or masking, which makes each entry missing
    with probability ``mask_rate``: the network fills it as it fills a
    missing entry in training, with the feature's training mean or, for half
    the rows, with its reconstruction of the row at the means.

    Parameters
    ----------
    %(parameters)s
    noise : {"gaussian", "mask"}, default="gaussian"
        The corruption applied to training inputs.
    noise_std : float, default=0.3
        Standard deviation of the Gaussian noise, in units of each feature's
        internal scale ``scale_`` (``noise="gaussian"``). The network learns
        to shrink its reconstructions towards the data by about what this
        noise needs, also for clean or less noisy inputs: at 0.5 (the default
        before 0.3), the reconstructions of noisy rows (noise of 0.1 standard
        deviations) of ``benchmarks/quality.py``'s 10-feature table of rank
        3, every feature at unit spread, had a mean squared error from the
        clean rows 1.16 times the noisy rows' own, 0.58 times at 0.3 (ratios
        of squared errors, not of distances; they depend on the table and
        its size); outlier detection did not move
        (``benchmarks/results/detection_ablation_4.md``). Match it to the
        noise the model will meet. With ``loss="binary_crossentropy"`` the
        data are not scaled (``scale_`` is 1), so the noise is in the data's
        own units: 0.3 of the [0, 1] range, about 3.6 times the noise of the
        default loss on digits / 16 (whose pixels share a scale of 0.28);
        take about 0.1 there. 0 trains the plain autoencoder of the same
        loss, exactly.
    mask_rate : float in [0, 1), default=0.25
        Probability of masking each entry (``noise="mask"``), a categorical
        column's one-hot entries together, as a missing category is; 0
        trains the plain autoencoder of the same loss, exactly.

    Attributes
    ----------
    %(attributes)s

    See Also
    --------
    AutoEncoder : The same model trained on clean inputs.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import DenoisingAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> dae = DenoisingAutoEncoder(n_components=8, noise_std=0.5, max_epochs=5,
    ...                            random_state=0).fit(X)
    >>> dae.inverse_transform(dae.transform(X[:2])).shape
    (2, 64)
    """

    _parameter_constraints: dict = {
        **BaseAutoEncoder._parameter_constraints,
        "noise": [StrOptions({"gaussian", "mask"})],
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "mask_rate": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        n_components: str | int = "auto",
        *,
        hidden_layer_sizes: str | tuple[int, ...] = "auto",
        activation: str = "relu",
        architecture: str = "dense",
        image_shape: tuple[int, int, int] | None = None,
        scaling: str = "auto",
        categorical_features: str | list | np.ndarray | None = "from_dtype",
        loss: str = "squared_error",
        max_epochs: str | int = "auto",
        batch_size: str | int = "auto",
        lr: str | float = "auto",
        weight_decay: float = 0.0,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        patience: int = 10,
        contamination: str | float = "auto",
        tail_screen: float | None = None,
        device: str = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator: object | None = None,
        noise: str = "gaussian",
        noise_std: float = 0.3,
        mask_rate: float = 0.25,
    ) -> None:
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            architecture=architecture,
            image_shape=image_shape,
            scaling=scaling,
            categorical_features=categorical_features,
            loss=loss,
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            contamination=contamination,
            tail_screen=tail_screen,
            device=device,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            accelerator=accelerator,
        )
        self.noise = noise
        self.noise_std = noise_std
        self.mask_rate = mask_rate

    def _make_callbacks(self) -> list[tuple[str, Callback]]:
        if self._regulariser_off() is not None:
            return []
        level = self._regulariser_parameter
        return [
            (
                "corruption_won_check",
                RegulariserWonCheck(
                    "The corruption won over the reconstruction: the training rows are "
                    "reconstructed no better than by the features' means. Try a smaller "
                    f"{level} than {getattr(self, level)}.",
                ),
            )
        ]

    @property
    def _regulariser_parameter(self) -> str:
        return "mask_rate" if self.noise == "mask" else "noise_std"

    def _regulariser_off(self) -> str | None:
        if self.noise == "mask":
            return "mask_rate=0" if self.mask_rate == 0 else None
        return "noise_std=0" if self.noise_std == 0 else None

    def _make_corruption(self) -> Corruption | None:
        # No corruption at all rather than one of 0: its draws moved the
        # random streams, and noise_std=0 trained another model than the
        # plain autoencoder (codes 0.02 apart; a probe).
        if self._regulariser_off() is not None:
            return None
        if self.noise == "mask":
            encoding = self._encoding()
            columns = None if encoding is None else encoding.entry_columns()
            return MaskingNoise(self.mask_rate, columns)
        return GaussianNoise(self.noise_std)
