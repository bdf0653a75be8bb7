"""Convolutional autoencoder: the plain objective on a convolutional architecture."""

from __future__ import annotations

import numpy as np

from ._base import BaseAutoEncoder
from ._docs import fill_doc


@fill_doc(defaults={"architecture": '"conv"'})
class ConvolutionalAutoEncoder(BaseAutoEncoder):
    """Convolutional autoencoder for images given as rows of pixels.

    The encoder is a stack of strided 3x3 convolutions (each halving height
    and width, rounding up) followed by a linear layer to the code; the
    decoder mirrors it with transposed convolutions. Weight sharing gives far
    fewer parameters than a dense network of the same reach, and a bias
    towards local image structure. The loss is the reconstruction loss of
    :class:`AutoEncoder`, by default the Huber loss (``loss="huber"``: each
    pixel's squared error within one unit of the scaled pixels, linear
    beyond),

    .. math:: L = \\frac{1}{n\\,d} \\sum_{i=1}^{n} \\sum_{j=1}^{d}
              h\\left(x_{ij} - g(f(x_i))_j\\right)

    over the ``d = C H W`` scaled pixels, with ``f`` and ``g`` the
    convolutional encoder and decoder; outlier scores use the squared error.

    Images are passed as a 2-D array ``(n_samples, C * H * W)`` (as
    ``load_digits`` gives them, so the model works in a ``Pipeline``) with
    ``image_shape=(C, H, W)``, or as a 4-D array ``(n_samples, C, H, W)``.
    Any size works, powers of two or not. This class is
    ``AutoEncoder(architecture="conv")`` with convolutional defaults; every
    other kind takes ``architecture="conv"`` as well (a convolutional VAE is
    ``VariationalAutoEncoder(architecture="conv")``).

    One default differs from the other kinds: ``architecture="conv"``, with
    which ``hidden_layer_sizes="auto"`` is (16, 32), the channels of the
    convolutions (with ``architecture="dense"`` it sizes dense layers, as in
    :class:`AutoEncoder`). Its ``scaling="auto"`` finds that pixels share one
    scale, and divides them all by one scale.

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    %(attributes)s

    See Also
    --------
    AutoEncoder : The dense counterpart.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import ConvolutionalAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> cae = ConvolutionalAutoEncoder(n_components=8, image_shape=(1, 8, 8),
    ...                                max_epochs=2, random_state=0).fit(X)
    >>> cae.transform(X[:2]).shape
    (2, 8)
    """

    # As AutoEncoder(architecture="conv"), which it is: only the bottleneck
    # keeps it from copying its input.
    _bottleneck_only = True

    def __init__(
        self,
        n_components: str | int = "auto",
        *,
        hidden_layer_sizes: str | tuple[int, ...] = "auto",
        activation: str = "relu",
        architecture: str = "conv",
        image_shape: tuple[int, int, int] | None = None,
        scaling: str = "auto",
        categorical_features: str | list | np.ndarray | None = "from_dtype",
        loss: str = "huber",
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
