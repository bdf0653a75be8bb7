"""
=============================================
Every kind of autoencoder on digits, in 2-D
=============================================

Each of skae's six kinds of autoencoder reduces the 64 pixels of the
:func:`~sklearn.datasets.load_digits` images to two numbers, next to the two
classical baselines: :class:`~sklearn.decomposition.PCA` (linear) and
:class:`~sklearn.decomposition.KernelPCA` (non-linear, through a kernel).
Points are coloured by the digit they show, which none of the models sees.

Under each map, two numbers say how much of the digits' structure it keeps:
the accuracy of a 5-nearest-neighbour classifier on the 2-D codes
(cross-validated), and the *trustworthiness* of the map, the extent to which
points that are close in 2-D were also close in the 64-D pixel space (1 is
perfect).
"""

# %%
# Fit the models
# --------------
# Every model gets the same data and ``n_components=2``. The autoencoders
# standardise the data themselves, so raw pixel values go in;
# ``scaling="global"`` uses one mean and one standard deviation for all
# pixels, as suits images (per-pixel scaling would blow up the nearly
# constant border pixels; the default ``"auto"`` recognises pixels by their
# shared bounds and divides them by one scale as well). Dimensionality reduction rewards good
# reconstructions, so the networks train for 60 epochs rather than the
# default 20, which is tuned for outlier detection.
from time import perf_counter

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, KernelPCA
from sklearn.manifold import trustworthiness
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from skae import (
    AutoEncoder,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)

X, y = load_digits(return_X_y=True)
common = dict(n_components=2, scaling="global", max_epochs=60, random_state=0)
models = {
    "PCA": PCA(n_components=2),
    # Squared distances between digits are in the thousands: a gamma of the
    # order of their inverse keeps the kernel informative.
    "KernelPCA (RBF)": KernelPCA(n_components=2, kernel="rbf", gamma=1e-3),
    "AutoEncoder": AutoEncoder(**common),
    "DenoisingAutoEncoder": DenoisingAutoEncoder(noise_std=0.5, **common),
    "SparseAutoEncoder": SparseAutoEncoder(**common),
    "VariationalAutoEncoder": VariationalAutoEncoder(**common),
    "ContractiveAutoEncoder": ContractiveAutoEncoder(**common),
    "ConvolutionalAutoEncoder": ConvolutionalAutoEncoder(image_shape=(1, 8, 8), **common),
}

codes, seconds = {}, {}
for name, model in models.items():
    start = perf_counter()
    codes[name] = model.fit_transform(X)
    seconds[name] = perf_counter() - start

# %%
# Measure what each map keeps
# ---------------------------
knn = KNeighborsClassifier(n_neighbors=5)
summary = {}
for name, Z in codes.items():
    accuracy = cross_val_score(knn, Z, y, cv=5).mean()
    trust = trustworthiness(X, Z, n_neighbors=10)
    summary[name] = (accuracy, trust)
    print(
        f"{name:>26}: 5-NN accuracy {accuracy:.2f}, trustworthiness {trust:.3f}, "
        f"fit {seconds[name]:.1f} s"
    )

# %%
# Plot the maps
# -------------
# The autoencoders spread the ten digits further apart than PCA does: with
# only two numbers per image, a non-linear encoder can bend the map around
# the clusters. The variational autoencoder's map is the roundest, because
# its loss pulls the codes towards a standard normal distribution; the sparse
# autoencoder's ReLU codes are never negative, so its map fills one quadrant.
fig, axes = plt.subplots(2, 4, figsize=(13, 6.8), layout="constrained")
for ax, (name, Z) in zip(axes.ravel(), codes.items(), strict=True):
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y, cmap="tab10", s=4, vmin=-0.5, vmax=9.5)
    accuracy, trust = summary[name]
    ax.set_title(f"{name}\n5-NN acc. {accuracy:.2f}, trust. {trust:.2f}", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(points, ax=axes, ticks=range(10), label="digit", shrink=0.6)
fig.suptitle("load_digits in two dimensions")
plt.show()
