"""
=============================================
Denoising handwritten digits
=============================================

Images of handwritten digits are corrupted with Gaussian noise, then cleaned
by four models, each fitted on clean images only:

* :class:`~sklearn.decomposition.PCA`, which keeps the projection of the noisy
  image on the principal subspace of the clean images;
* :class:`~sklearn.decomposition.KernelPCA`, which does the same in the feature
  space of an RBF kernel and maps back with a learned pre-image;
* :class:`~skae.DenoisingAutoEncoder`, trained to map images corrupted with
  the same kind of noise back to the clean originals;
* the same model with ``architecture="conv"``, whose encoder and decoder are
  convolutional.

The images are the MNIST test set (28 x 28 pixels) when it is available
locally: in the folder named by the ``SKAE_MNIST`` environment variable, or in
``shared/data/mnist`` next to the skae repository. Otherwise the example falls
back on the 8 x 8 digits of :func:`~sklearn.datasets.load_digits`, which ship
with scikit-learn.
"""

# %%
# Load the images
# ---------------
# MNIST's IDX format is a 16-byte header (a magic number, the number of images,
# rows and columns, all big-endian 32-bit integers) followed by the pixels as
# unsigned bytes, row after row.
import gzip
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, KernelPCA

from skae import DenoisingAutoEncoder


def read_idx_images(path):
    """Images of an IDX file as rows of pixels in [0, 1], and their (height, width)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    n_images, height, width = np.frombuffer(data[4:16], dtype=">u4")
    pixels = np.frombuffer(data[16:], dtype=np.uint8)
    return pixels.reshape(n_images, height * width) / 255.0, (int(height), int(width))


def mnist_folder():
    """The folder holding the MNIST test set, or None when there is none."""
    if os.environ.get("SKAE_MNIST"):
        return Path(os.environ["SKAE_MNIST"])
    try:
        examples = Path(__file__).resolve().parent
    except NameError:
        # A notebook has no __file__; it runs in the folder it was opened from.
        examples = Path.cwd()
    # examples/ -> the repository -> the folder that holds the repository.
    return examples.parent.parent / "shared" / "data" / "mnist"


images_file = mnist_folder() / "t10k-images-idx3-ubyte.gz"
if images_file.is_file():
    X, image_size = read_idx_images(images_file)
    source = "MNIST"
else:
    X = load_digits().data / 16.0
    image_size = (8, 8)
    source = "load_digits"
print(f"{source}: {X.shape[0]} images of {image_size[0]} x {image_size[1]} pixels")

# %%
# Corrupt a test set
# ------------------
# The models learn from 2,000 clean images (fewer with ``load_digits``); 500
# other images are corrupted with Gaussian noise of standard deviation 0.35
# (pixels range over [0, 1]).
rng = np.random.RandomState(0)
order = rng.permutation(len(X))
n_test = 500
n_train = min(2000, len(X) - n_test)
X_train, X_test = X[order[:n_train]], X[order[n_train : n_train + n_test]]
noise_level = 0.35
X_test_noisy = X_test + noise_level * rng.standard_normal(X_test.shape)

# %%
# Fit the models
# --------------
# The denoising autoencoders see a fresh draw of noise in every epoch. Their
# ``noise_std`` is in units of the data's standard deviation after the
# internal scaling (``scaling="global"``: one mean and one standard deviation
# for all pixels), so the noise level is divided by the pixels' standard
# deviation to match the corruption of the test set.

n_components = 32
n_features = X.shape[1]
dae_params = dict(
    n_components=n_components,
    scaling="global",
    noise_std=noise_level / X_train.std(),
    max_epochs=40,
    random_state=0,
)
models = {
    "PCA": PCA(n_components=n_components, random_state=0),
    # The typical squared distance between two images is 2 * n_features * var;
    # a gamma a few times smaller than its inverse, and a small ridge penalty
    # alpha on the learned map back to pixels, did best on this data.
    "KernelPCA": KernelPCA(
        n_components=n_components,
        kernel="rbf",
        gamma=0.1 / (n_features * X_train.var()),
        fit_inverse_transform=True,
        alpha=1e-3,
        random_state=0,
    ),
    "DenoisingAutoEncoder": DenoisingAutoEncoder(hidden_layer_sizes=(256, 128), **dae_params),
    "DenoisingAutoEncoder\n(architecture='conv')": DenoisingAutoEncoder(
        architecture="conv",
        image_shape=(1, *image_size),
        hidden_layer_sizes=(16, 32),
        **dae_params,
    ),
}

denoised = {}
for name, model in models.items():
    model.fit(X_train)
    # Clean an image: encode it, then decode the code.
    denoised[name] = model.inverse_transform(model.transform(X_test_noisy))

# %%
# Compare the reconstructions
# ---------------------------
# The mean squared error is measured against the clean test images. Which
# model wins depends on the images. On MNIST the convolutional autoencoder,
# whose filters are shared across the image (strokes may appear anywhere), is
# well ahead (an error of about 0.015 against PCA's and KernelPCA's 0.022), and
# the dense one is behind both (about 0.026): 2,000 images are few for its
# 480,000 weights. On the 8 x 8 digits of ``load_digits`` the dense
# autoencoder is best (about 0.026, the convolutional one 0.030, KernelPCA
# 0.049, PCA 0.065): images that small leave the convolutions little to share.
rows = {"clean": X_test, "noisy": X_test_noisy, **denoised}
errors = {name: np.mean((images - X_test) ** 2) for name, images in rows.items() if name != "clean"}
for name, error in errors.items():
    print(f"{name.replace(chr(10), ' ')}: MSE {error:.4f}")

# %%
# The first row holds the clean images, the second their corrupted versions,
# and each further row what one model makes of the corrupted images.

n_shown = 8
fig, axes = plt.subplots(
    len(rows), n_shown, figsize=(1.1 * n_shown + 1.6, 1.15 * len(rows)), layout="constrained"
)
for row_axes, (name, images) in zip(axes, rows.items(), strict=True):
    for ax, image in zip(row_axes, images[:n_shown], strict=True):
        ax.imshow(image.reshape(image_size), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    label = name if name == "clean" else f"{name}\nMSE {errors[name]:.3f}"
    row_axes[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle(f"Denoising {source} digits (noise standard deviation {noise_level})")
plt.show()

# %%
# What the convolutional encoder sees
# -----------------------------------
# The torch module of a fitted model is ``net_.module_``. A forward hook on its
# first convolution records that layer's output while the model encodes one
# clean test image. Some of the 16 filters respond to the strokes, others to
# the background or to the edges on one side of a stroke, wherever these are
# in the image. Sharing each filter across all positions also makes the
# convolutional network smaller than the dense one.

dense = models["DenoisingAutoEncoder"]
conv = models["DenoisingAutoEncoder\n(architecture='conv')"]
for name, model in [("dense", dense), ("convolutional", conv)]:
    n_weights = sum(p.numel() for p in model.net_.module_.parameters())
    print(f"{name} network: {n_weights} weights")

responses = []
first_conv = next(m for m in conv.net_.module_.modules() if isinstance(m, torch.nn.Conv2d))
hook = first_conv.register_forward_hook(lambda layer, inputs, output: responses.append(output))
conv.transform(X_test[:1])
hook.remove()
maps = responses[0][0].cpu().numpy()

fig, axes = plt.subplots(2, 1 + len(maps) // 2, figsize=(9, 2.4), layout="constrained")
axes[0, 0].imshow(X_test[0].reshape(image_size), cmap="gray_r", vmin=0, vmax=1)
axes[0, 0].set_title("input", fontsize=9)
axes[1, 0].set_visible(False)
for ax, feature_map in zip(axes[:, 1:].ravel(), maps, strict=True):
    ax.imshow(feature_map, cmap="magma")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Responses of the first convolution's 16 filters to a digit")
plt.show()
