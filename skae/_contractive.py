"""Contractive autoencoder: penalise the encoder's sensitivity to its input."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import Callback

from ._base import BaseAutoEncoder
from ._docs import fill_doc
from ._net import Penalty
from ._penalties import Contraction, RegulariserWonCheck

#: With ``jacobian="auto"``, the exact penalty up to this many code dimensions.
AUTO_EXACT_MAX_COMPONENTS = 16


@fill_doc(defaults={"loss": '"squared_error"'})
class ContractiveAutoEncoder(BaseAutoEncoder):
    """Contractive autoencoder: nearby inputs get nearby codes.

    The reconstruction loss gets the squared Frobenius norm of the Jacobian of
    the encoder ``f`` with respect to its (standardised) input,

    .. math:: L = L_{rec} + \\lambda \\frac{1}{n} \\sum_i
              \\lVert J_f(x_i) \\rVert_F^2,
              \\qquad J_f(x) = \\partial f(x) / \\partial x

    (Rifai et al., 2011). The codes then vary only along the directions the
    data actually varies in, which makes them robust to small perturbations
    of the input.

    ``jacobian="exact"`` computes the norm with one backward pass per code
    dimension, for any encoder depth or architecture; ``"stochastic"`` uses
    one backward pass and the unbiased estimate
    :math:`E_v \\lVert J^T v \\rVert^2 = \\lVert J \\rVert_F^2`,
    :math:`v \\sim N(0, I)` (Hutchinson's trace estimator), for wide codes.

    Parameters
    ----------
    %(parameters)s
    contraction_weight : float, default=0.1
        Weight :math:`\\lambda` of the penalty. The Jacobian is taken with
        respect to the scaled input (``(X - mean_) / scale_``): standardised
        by default, so that the weight does not depend on the data's units;
        with ``scaling="none"`` it does (and with ``scaling="global"``, or
        ``"auto"`` on data on one scale, it depends on that scale). With
        ``loss="binary_crossentropy"`` the input is the data as it is
        (in [0, 1], often with a spread of 0.3 or less): there the same
        weight contracts about ten times harder, and 0.1 left 8 codes of 500
        digits / 16 barely better than the pixels' means (held-out
        cross-entropy 0.437 against 0.438; 0.404 at 0.01, and the plain
        kind's 0.383). Take 0.01 or less with that loss.
    jacobian : {"auto", "exact", "stochastic"}, default="auto"
        How the penalty is computed; ``"auto"`` is exact up to 16 code
        dimensions and stochastic beyond.

    Attributes
    ----------
    %(attributes)s

    See Also
    --------
    AutoEncoder : The same model without the penalty.
    DenoisingAutoEncoder : Robustness learned from corrupted inputs instead.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import ContractiveAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> cae = ContractiveAutoEncoder(n_components=4, max_epochs=5, random_state=0).fit(X)
    >>> cae.transform(X[:2]).shape
    (2, 4)
    """

    _parameter_constraints: dict = {
        **BaseAutoEncoder._parameter_constraints,
        "contraction_weight": [Interval(Real, 0, None, closed="left")],
        "jacobian": [StrOptions({"auto", "exact", "stochastic"})],
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
        contraction_weight: float = 0.1,
        jacobian: str = "auto",
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
        self.contraction_weight = contraction_weight
        self.jacobian = jacobian

    def _make_callbacks(self) -> list[tuple[str, Callback]]:
        return [
            (
                "contraction_won_check",
                RegulariserWonCheck(
                    "The contraction penalty won over the reconstruction: the training rows "
                    "are reconstructed no better than by the features' means. Try a smaller "
                    "contraction_weight (or wider hidden_layer_sizes: a layer of one or two "
                    "units reconstructs no better whatever the weight).",
                    penalty="contraction",
                ),
            )
        ]

    _regulariser_parameter = "contraction_weight"

    def _regulariser_off(self) -> str | None:
        return "contraction_weight=0" if self.contraction_weight == 0 else None

    def _make_penalties(self) -> dict[str, Penalty]:
        exact = self.jacobian == "exact" or (
            self.jacobian == "auto" and self._n_codes() <= AUTO_EXACT_MAX_COMPONENTS
        )
        return {"contraction": Contraction(self.contraction_weight, exact=exact)}
