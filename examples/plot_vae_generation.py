"""
=====================================================
Generating digits with a variational autoencoder
=====================================================

A :class:`~skae.VariationalAutoEncoder` is a density model: its codes follow
a standard normal distribution, so decoding draws from N(0, I) gives new
samples that look like the training data. This example

* generates new 8 x 8 digits with :meth:`~skae.VariationalAutoEncoder.sample`,
  next to real ones and to samples of a plain
  :class:`~skae.AutoEncoder`;
* walks across the 2-D code space of a small model and decodes each point;
* shows what the weight ``beta`` of the KL term does to the model.
"""

# sphinx_gallery_thumbnail_number = 2

# %%
# Train a variational autoencoder
# -------------------------------
# The pixels are scaled to [0, 1] so that each one can be modelled as a
# Bernoulli variable (``loss="binary_crossentropy"``); the decoder then
# outputs pixel intensities in [0, 1].
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits

from skae import AutoEncoder, VariationalAutoEncoder

X, y = load_digits(return_X_y=True)
X = X / 16.0

params = dict(
    loss="binary_crossentropy", hidden_layer_sizes=(128, 64), max_epochs=100, random_state=0
)
vae = VariationalAutoEncoder(n_components=8, **params).fit(X)

# %%
# Sample new digits
# -----------------
# ``sample`` draws codes from the prior N(0, I) and decodes them. A plain
# autoencoder has no prior over its codes: skae fits a Gaussian mixture to its
# training codes (``latent_density_``) and decodes draws from that instead.
ae = AutoEncoder(n_components=8, **params).fit(X)

rows = {
    "real digits": X[np.random.RandomState(0).choice(len(X), 12, replace=False)],
    "VariationalAutoEncoder\n.sample": vae.sample(12, random_state=0),
    "AutoEncoder\n.sample": ae.sample(12, random_state=0),
}


def show_digits(rows, title):
    """One row of 8 x 8 images per entry of ``rows``, labelled on the left."""
    n_columns = max(len(images) for images in rows.values())
    fig, axes = plt.subplots(
        len(rows),
        n_columns,
        figsize=(0.75 * n_columns + 1.6, 0.85 * len(rows) + 0.4),
        layout="constrained",
        squeeze=False,
    )
    for row_axes, (label, images) in zip(axes, rows.items(), strict=True):
        for ax, image in zip(row_axes, images, strict=True):
            ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    plt.show()


show_digits(rows, "Real and generated digits")

# %%
# Walk through the code space
# ---------------------------
# With two latent dimensions the whole code space fits on one page. Each cell
# of the grid on the right decodes one code: the grid runs over the quantiles
# of the prior, from 3% to 97% in each dimension, so every cell is a likely
# code. Neighbouring codes decode to similar digits, and moving across the
# grid morphs one digit into another; the map on the left shows where each
# digit's codes (posterior means, from ``transform``) lie.

vae_2d = VariationalAutoEncoder(n_components=2, **params).fit(X)
codes = vae_2d.transform(X)

n_steps = 15
quantiles = norm.ppf(np.linspace(0.03, 0.97, n_steps))
grid = np.array([[z1, z2] for z2 in quantiles[::-1] for z1 in quantiles])
# One image per cell, with a blank pixel around each so that digits do not touch.
cells = np.pad(
    vae_2d.inverse_transform(grid).reshape(n_steps, n_steps, 8, 8), ((0, 0), (0, 0), (1, 1), (1, 1))
)
mosaic = cells.transpose(0, 2, 1, 3).reshape(n_steps * 10, n_steps * 10)

fig, (ax_codes, ax_grid) = plt.subplots(1, 2, figsize=(11, 5.2), layout="constrained")
points = ax_codes.scatter(codes[:, 0], codes[:, 1], c=y, cmap="tab10", s=5, vmin=-0.5, vmax=9.5)
ax_codes.set(
    xlim=quantiles[[0, -1]] * 1.1,
    ylim=quantiles[[0, -1]] * 1.1,
    xlabel="code 1",
    ylabel="code 2",
    title="Codes of the training digits",
)
fig.colorbar(points, ax=ax_codes, ticks=range(10), label="digit")
ax_grid.imshow(
    mosaic,
    cmap="gray_r",
    vmin=0,
    vmax=1,
    extent=[*(quantiles[[0, -1]] * 1.07), *(quantiles[[0, -1]] * 1.07)],
)
ax_grid.set(xlabel="code 1", ylabel="code 2", title="Decoded grid of codes")
plt.show()

# %%
# The effect of ``beta``
# ----------------------
# The loss is the reconstruction term plus ``beta`` times the KL divergence
# between each sample's posterior and the prior. ``net_.history`` logs both
# terms of the last epoch (``train_kl`` already multiplied by ``beta``). A
# small ``beta`` favours sharp reconstructions, at the price of codes that
# stray from the prior, so that some draws from the prior decode to
# nonsense; a large one pulls every posterior towards the prior, and the
# model switches latent dimensions off: their posterior mean no longer
# depends on the input (the KL term falls at every step of ``beta``; the
# count of dimensions left on need not, it varies from fit to fit). At
# ``beta=4`` it switches them all off and decodes
# every code to the same average digit (the "posterior collapse").
betas = [0.25, 1.0, 2.0, 4.0]
samples = {}
for beta in betas:
    if beta == 1.0:
        model = vae  # the model fitted above
    else:
        model = VariationalAutoEncoder(n_components=8, beta=beta, **params).fit(X)
    last_epoch = model.net_.history[-1]
    kl = last_epoch["train_kl"] / beta
    # A dimension is active when its posterior mean varies across the data.
    active = int((model.transform(X).var(axis=0) > 0.01).sum())
    print(
        f"beta={beta}: reconstruction {last_epoch['train_reconstruction']:.1f} nats, "
        f"KL {kl:.2f} nats, {active} of 8 dimensions active"
    )
    samples[f"beta={beta}\nKL {kl:.1f}, {active} active"] = model.sample(12, random_state=0)

show_digits(samples, "Samples for different values of beta")
