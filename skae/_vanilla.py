"""The plain (vanilla) autoencoder."""

from __future__ import annotations

from ._base import BaseAutoEncoder
from ._docs import fill_doc


@fill_doc
class AutoEncoder(BaseAutoEncoder):
    """Autoencoder: a neural network trained to reconstruct its input.

    An encoder maps each sample to ``n_components`` codes and a mirrored
    decoder maps the codes back; both are trained to minimise the
    reconstruction loss

    .. math:: L = \\frac{1}{n\\,d} \\sum_{i=1}^{n} \\sum_{j=1}^{d}
              h\\left(x_{ij} - g(f(x_i))_j\\right), \\quad
              h(e) = \\begin{cases} e^2 & |e| \\le 1 \\\\ 2|e| - 1 & |e| > 1 \\end{cases}

    on standardised features (``loss="huber"``): the squared error within one
    standard deviation of each feature, linear beyond, so a few training rows
    far from the others (outliers among the training data) do not bend the
    network toward them. Outlier scores use the squared error.

    Use it like :class:`~sklearn.decomposition.PCA` for non-linear
    dimensionality reduction, or like
    :class:`~sklearn.ensemble.IsolationForest` as an outlier detector (samples
    that reconstruct badly are outliers).

    The input is scaled internally, learned at the first ``fit`` or
    ``partial_fit`` (the default ``scaling="auto"``): each feature centred on
    its mean and divided by its standard deviation (a constant feature by
    the others' median one), or, for data on one fixed scale such as pixels, by one
    scale shared by all features. Raw, unscaled data can be passed directly;
    a near-constant feature reaches the encoder at most about three times
    louder than a typical one, so noise there is not amplified.
    :meth:`inverse_transform` and :meth:`sample` return data in the original
    units. With ``loss="binary_crossentropy"``
    the data must lie in [0, 1] and is not rescaled.

    Training runs on PyTorch through a private :class:`skorch.NeuralNet`,
    reachable after fitting as ``net_`` (``net_.history`` holds the loss
    curve).

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    %(attributes)s

    See Also
    --------
    sklearn.decomposition.PCA : The linear model an autoencoder generalises.
    sklearn.ensemble.IsolationForest : A tree-based outlier detector.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoEncoder(n_components=2, max_epochs=5, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 2)
    >>> ae.inverse_transform(ae.transform(X[:3])).shape
    (3, 64)
    >>> ae.predict(X[:3]).tolist()
    [1, 1, 1]
    """

    _bottleneck_only = True
