"""The plain (vanilla) autoencoder."""

from __future__ import annotations

from ._base import BaseAutoEncoder


class AutoEncoder(BaseAutoEncoder):
    """Autoencoder: a neural network trained to reconstruct its input.

    An encoder maps each sample to ``n_components`` codes and a mirrored
    decoder maps the codes back; both are trained to minimise the
    reconstruction loss

    .. math:: L = \\frac{1}{n\\,d} \\sum_{i=1}^{n} \\lVert x_i - g(f(x_i)) \\rVert^2

    on standardised features. Use it like :class:`~sklearn.decomposition.PCA`
    for non-linear dimensionality reduction, or like
    :class:`~sklearn.ensemble.IsolationForest` as an outlier detector (samples
    that reconstruct badly are outliers).

    The input is standardised internally (each feature centred on its mean and
    divided by its standard deviation, learned at the first ``fit`` or
    ``partial_fit``; constant features are only centred), so raw, unscaled
    data can be passed directly. :meth:`inverse_transform` and :meth:`sample`
    return data in the original units. With ``loss="binary_crossentropy"``
    the data must lie in [0, 1] and is not rescaled.

    Training runs on PyTorch through a private :class:`skorch.NeuralNet`,
    reachable after fitting as ``net_`` (``net_.history`` holds the loss
    curve).

    Parameters
    ----------
    n_components : int, default=2
        Size of the code (the bottleneck).
    hidden_layer_sizes : int or array-like of int, default=(64, 32)
        Widths of the encoder's hidden layers; the decoder mirrors them. An
        empty tuple gives a linear autoencoder.
    activation : {"relu", "tanh", "logistic", "identity", "gelu"}, default="relu"
        Activation of the hidden layers. The code layer and the output layer
        are linear.
    loss : {"squared_error", "binary_crossentropy"}, default="squared_error"
        Reconstruction loss. ``"binary_crossentropy"`` is for data in [0, 1]
        (e.g. pixel intensities); the decoder then ends in a sigmoid.
    max_epochs : int, default=100
        Number of passes over the training data (an upper bound with
        ``early_stopping=True``).
    batch_size : int, default=64
        Mini-batch size. Fewer samples than ``batch_size`` gives one batch.
    lr : float, default=1e-3
        Learning rate of the Adam optimiser.
    weight_decay : float, default=0.0
        L2 penalty (Adam's ``weight_decay``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved for ``patience`` epochs; the weights of the
        best epoch are kept. Applies to :meth:`fit` only.
    validation_fraction : float, default=0.1
        Fraction of the training data held out with ``early_stopping=True``.
    patience : int, default=10
        Epochs without improvement of the validation loss before stopping.
    contamination : "auto" or float in (0, 0.5], default="auto"
        Expected proportion of outliers in the training data; sets
        ``offset_``. With a float, ``offset_`` is that percentile of the
        training scores. With ``"auto"``, Tukey's rule: a sample is an outlier
        when its score is below ``Q1 - 1.5 * IQR`` of the training scores.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and predict; ``"auto"`` takes a GPU when torch sees one.
        Outputs are always numpy arrays.
    random_state : int, RandomState instance or None, default=None
        Seeds every random draw of a fit (initial weights, shuffling, the
        held-out split). Fitting leaves numpy's and torch's global random
        state unchanged.
    verbose : int, default=0
        0 is silent, 1 prints a table of losses per epoch, 2 adds a progress
        bar per epoch.
    callbacks : list of skorch callbacks, default=None
        Extra :mod:`skorch.callbacks` (or ``(name, callback)`` tuples), e.g.
        ``LRScheduler`` or ``Checkpoint``. They are copied at fit.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the torch module and
        ``net_.history`` the training history.
    mean_ : ndarray of shape (n_features_in_,)
        Per-feature mean used for the internal standardisation.
    scale_ : ndarray of shape (n_features_in_,)
        Per-feature standard deviation used for the internal standardisation.
    offset_ : float
        Threshold on :meth:`score_samples`; ``decision_function`` is
        ``score_samples - offset_``.
    latent_density_ : sklearn.mixture.GaussianMixture
        Density of the training codes, used by :meth:`sample`.
    n_iter_ : int
        Number of epochs run.
    device_ : torch.device
        The device the model lives on.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during :term:`fit`. Defined only when ``X`` has
        feature names that are all strings.

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
