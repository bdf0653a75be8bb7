"""A density on the training codes, so deterministic autoencoders can sample.

A deterministic autoencoder has no prior over its codes. Following the
"ex-post density estimation" of regularised autoencoders (Ghosh et al., 2020),
a Gaussian mixture is fitted to the codes of the training data; ``sample``
draws codes from it and decodes them.

Its number of components is chosen by BIC among ``COMPONENT_CANDIDATES``,
less those with more free parameters than there are codes to fit: a full
covariance costs ``d (d + 1) / 2`` parameters, so wide codes (32 dimensions
on the 2,000 codes they are fitted on) try one and two components only. BIC
would pick such a mixture only through near-singular components, which
sample badly; and it is the most expensive fit, paid on every ``fit``.

The code term of the outlier score does not use the mixture but one Gaussian
fitted to all training codes (:func:`fit_code_gaussian`). A mixture flexible
enough to sample well also gives a tight group of anomalies in the training
data a component of its own, and so a high density: the masking that
defeats kNN and LOF on clustered anomalies. One Gaussian cannot do that; a
group of codes far from the bulk stays far in Mahalanobis distance
(``benchmarks/results/detection.md``, "clustered").

Each mixture is fitted by expectation-maximisation in torch, on the device
that holds the codes: the same model and stopping rule as
:class:`sklearn.mixture.GaussianMixture` (greedy k-means++ and k-means
initialisation, full covariances, ``reg_covar`` on the diagonal, ``tol`` on
the change of the mean log-likelihood), with the components batched instead of
looped over. On a GPU the codes never leave the device and no host library
runs after training. The result is stored as a fitted ``GaussianMixture``, so
users keep its methods and saved models load as before.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

from ._threads import one_thread

#: The numbers of mixture components tried; BIC picks one.
COMPONENT_CANDIDATES = (1, 2, 4, 10)
#: At most this many codes to fit the mixture.
MAX_CODES = 10_000
#: Wide codes get fewer rows, so that EM (whose cost grows with rows x dims^2)
#: costs about what it does on 10,000 4-D codes, but never fewer than this.
MIN_CODES = 2_000
#: GaussianMixture's defaults.
REG_COVAR = 1e-6
TOL = 1e-3
MAX_ITER = 100
#: Lloyd iterations of the k-means initialisation, at most.
KMEANS_ITER = 30


def max_codes(n_dims: int) -> int:
    """How many codes of ``n_dims`` dimensions the mixture is fitted on, at most."""
    return int(np.clip(MAX_CODES * 16 // max(n_dims, 1) ** 2, MIN_CODES, MAX_CODES))


def fit_code_density(codes: np.ndarray | torch.Tensor, random_state: int) -> GaussianMixture:
    """Fit a full-covariance Gaussian mixture to (a seeded subsample of) ``codes``.

    The number of components with the lowest BIC among
    ``COMPONENT_CANDIDATES`` is kept. ``codes`` may be a numpy array or a
    tensor on any device; the fit runs where the tensor lives, in float64.
    """
    z = torch.as_tensor(codes).to(torch.float64)
    if not bool(torch.isfinite(z).all()):
        raise ValueError(
            "The training codes contain NaN or infinity, so no density can be fitted "
            "to them; the network overflows on this data. Standardise X (scaling="
            "'feature') or lower lr."
        )
    rng = np.random.RandomState(random_state)
    limit = max_codes(z.shape[1])
    if len(z) > limit:
        keep = torch.from_numpy(np.sort(rng.choice(len(z), limit, replace=False)))
        z = z[keep.to(z.device)]
    if len(z) < 2:
        # A mixture needs two rows; one code gives a point mass (plus reg_covar).
        z = z.repeat(2, 1)
    generator = torch.Generator(device=z.device)
    generator.manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
    best = None
    # At most 10,000 codes of a few dimensions: on two idle cores a second
    # thread saves at most a third of 0.1-0.2 s, and beside one busy process
    # it made the fit 1.8-3.5 times slower (up to 61 times beside two), each
    # operation waiting at its barrier for a core another process holds
    # (benchmarks/results/small_chunks.md).
    with one_thread(z.device):
        for n_components in COMPONENT_CANDIDATES:
            if n_components > 1 and _n_parameters(n_components, z.shape[1]) > len(z):
                break
            fit = _fit_mixture(z, n_components, generator)
            if best is None or fit.bic < best.bic:
                best = fit
            if fit.n_components < n_components:
                break  # fewer distinct codes than components: larger ones are the same
    return best.as_gaussian_mixture()


@dataclass
class _MixtureFit:
    """One fitted mixture, its parameters still on the codes' device."""

    weights: torch.Tensor
    means: torch.Tensor
    covariances: torch.Tensor
    prec_chol: torch.Tensor
    converged: bool
    n_iter: int
    lower_bound: float
    bic: float

    @property
    def n_components(self) -> int:
        return len(self.weights)

    def as_gaussian_mixture(self) -> GaussianMixture:
        """A fitted ``GaussianMixture`` holding these parameters."""
        prec_chol = self.prec_chol.cpu().numpy()
        gmm = GaussianMixture(
            n_components=self.n_components, covariance_type="full", reg_covar=REG_COVAR, tol=TOL
        )
        gmm.weights_ = self.weights.cpu().numpy()
        gmm.means_ = self.means.cpu().numpy()
        gmm.covariances_ = self.covariances.cpu().numpy()
        gmm.precisions_cholesky_ = prec_chol
        gmm.precisions_ = prec_chol @ prec_chol.transpose(0, 2, 1)
        gmm.converged_ = self.converged
        gmm.n_iter_ = self.n_iter
        gmm.lower_bound_ = self.lower_bound
        gmm.n_features_in_ = self.means.shape[1]
        return gmm


def _fit_mixture(z: torch.Tensor, n_components: int, generator: torch.Generator) -> _MixtureFit:
    """EM from a k-means start, as ``GaussianMixture(covariance_type="full")``."""
    labels, n_components = _kmeans_labels(z, n_components, generator)
    resp = torch.nn.functional.one_hot(labels, n_components).to(z.dtype)
    weights, means, covariances, prec_chol, failed = _m_step(z, resp)
    _check_cholesky(bool(failed))
    lower_bound, converged, n_iter = -math.inf, False, 0
    while n_iter < MAX_ITER:
        n_iter += 1
        log_prob = _weighted_log_prob(z, weights, means, prec_chol)
        log_norm = torch.logsumexp(log_prob, dim=1, keepdim=True)
        resp = torch.exp(log_prob - log_norm)
        weights, means, covariances, prec_chol, failed = _m_step(z, resp)
        # One host read per iteration, for the stopping rule and the Cholesky
        # check together (each read waits for a GPU to finish its queue).
        bound, bad = torch.stack([log_norm.mean(), failed.to(z.dtype)]).tolist()
        _check_cholesky(bool(bad))
        previous, lower_bound = lower_bound, bound
        if abs(lower_bound - previous) < TOL:
            converged = True
            break
    n, k = z.shape
    log_likelihood = torch.logsumexp(_weighted_log_prob(z, weights, means, prec_chol), dim=1)
    bic = -2 * log_likelihood.sum().item() + _n_parameters(n_components, k) * math.log(n)
    return _MixtureFit(weights, means, covariances, prec_chol, converged, n_iter, lower_bound, bic)


def _n_parameters(n_components: int, n_dims: int) -> int:
    """Free parameters of a full-covariance mixture: means, covariances, weights."""
    return n_components * (n_dims + n_dims * (n_dims + 1) // 2) + n_components - 1


def _check_cholesky(failed: bool) -> None:
    if failed:
        raise ValueError(
            "Fitting the Gaussian mixture on the codes failed: a component's "
            "covariance is not positive definite. The codes may be degenerate; "
            "try fewer n_components."
        )


def _kmeans_labels(z: torch.Tensor, k: int, generator: torch.Generator) -> tuple[torch.Tensor, int]:
    """Labels from greedy k-means++ seeding and Lloyd iterations, and the
    number of clusters: ``k``, or fewer when ``z`` has fewer distinct rows.

    Greedy seeding (as in scikit-learn's ``KMeans``) draws a few candidates
    with probability proportional to the squared distance and keeps the one
    that lowers the inertia most. Plain k-means++ favours far, isolated rows,
    which would give outliers components of their own and so a high density.
    """
    n_trials = 2 + int(math.log(k))
    first = torch.randint(len(z), (1,), generator=generator, device=z.device)
    centres = z[first]
    closest = _squared_distances(centres, z)[0]
    for _ in range(1, k):
        # Every row sits on a centre: there are no more distinct rows.
        if not bool(closest.max() > 0):
            break
        picks = torch.multinomial(closest, n_trials, replacement=True, generator=generator)
        candidates = torch.minimum(closest[None, :], _squared_distances(z[picks], z))
        best = candidates.sum(dim=1).argmin()
        centres = torch.cat([centres, z[picks[best]][None]])
        closest = candidates[best]
    k = len(centres)
    labels = torch.cdist(z, centres).argmin(dim=1)
    for _ in range(KMEANS_ITER):
        one_hot = torch.nn.functional.one_hot(labels, k).to(z.dtype)
        counts = one_hot.sum(dim=0)
        # An emptied cluster keeps its old centre.
        centres = torch.where(
            counts[:, None] > 0, (one_hot.T @ z) / counts.clamp(min=1)[:, None], centres
        )
        new_labels = torch.cdist(z, centres).argmin(dim=1)
        if torch.equal(new_labels, labels):
            break
        labels = new_labels
    return labels, k


def _squared_distances(points: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Squared distances from each of a few ``points`` to every row of ``z``.

    Computed from the differences, not as ``|a|^2 + |b|^2 - 2ab`` (what
    ``torch.cdist`` does for many rows): a row's distance to its duplicate
    must be exactly 0, which is how the seeding counts distinct rows.
    """
    return (z[None, :, :] - points[:, None, :]).square().sum(dim=2)


def _m_step(
    z: torch.Tensor, resp: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weights, means, covariances and precision Cholesky factors from
    ``resp``, and whether a Cholesky factorisation failed (a tensor, so that
    the caller decides when to read it)."""
    # As in scikit-learn: a tiny floor keeps an emptied component defined.
    counts = resp.sum(dim=0) + 10 * torch.finfo(z.dtype).eps
    means = (resp.T @ z) / counts[:, None]
    # sqrt(resp) * (z - mean), so that one batched product A^T A gives every
    # component's weighted scatter.
    scaled = (z[None, :, :] - means[:, None, :]).mul_(resp.T.sqrt()[:, :, None])
    eye = torch.eye(z.shape[1], dtype=z.dtype, device=z.device)
    covariances = (scaled.transpose(1, 2) @ scaled) / counts[:, None, None] + REG_COVAR * eye
    chol, info = torch.linalg.cholesky_ex(covariances)
    prec_chol = torch.linalg.solve_triangular(chol, eye.expand_as(chol), upper=False)
    prec_chol = prec_chol.transpose(1, 2)
    return counts / counts.sum(), means, covariances, prec_chol, info.any()


def _weighted_log_prob(
    z: torch.Tensor, weights: torch.Tensor, means: torch.Tensor, prec_chol: torch.Tensor
) -> torch.Tensor:
    """log(weight_c) + log N(z | mean_c, cov_c), shape (n, components)."""
    # Mahalanobis terms via the Cholesky factors of the precisions, as one
    # (n, k) @ (k, c * k) product reshaped to (n, c, k).
    n_components, k = means.shape
    flat = prec_chol.permute(1, 0, 2).reshape(k, n_components * k)
    shift = (means[:, None, :] @ prec_chol).reshape(n_components * k)
    y = torch.addmm(shift, z, flat, beta=-1).reshape(len(z), n_components, k)
    mahalanobis = torch.linalg.vector_norm(y, dim=2).square()
    log_det = torch.log(torch.diagonal(prec_chol, dim1=1, dim2=2)).sum(dim=1)
    log_normal = -0.5 * (mahalanobis + k * math.log(2 * math.pi)) + log_det
    return log_normal + torch.log(weights)


#: Below this many training rows per code, the code Gaussian's covariance is
#: shrunk (:func:`fit_code_gaussian`). Every benchmark table has more.
ROWS_PER_CODE = 10


#: Each code's variance in the code Gaussian is at least this fraction of
#: its root mean square, squared: float32 resolves a code of 1e4 to about
#: 1e-3, and a code moves by that much with the rows it is computed beside.
#: Codes that large (data far from 0 left unscaled, ``scaling="none"``) that
#: vary by less (constant rows) had a Gaussian of ``REG_COVAR`` alone, and
#: two identical rows scored 8 nats apart in batches of different sizes.
#: Codes of the size scaled data gives (1 to 100) get 1e-10 to 1e-6 from it.
CODE_RESOLUTION = 1e-5


def fit_code_gaussian(codes: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (``REG_COVAR`` on the diagonal, and each code's
    float32 resolution, ``CODE_RESOLUTION``) of all ``codes``, in float64.

    With fewer than ``ROWS_PER_CODE`` rows per code, the covariance is
    Ledoit and Wolf's shrunk one: 30 rows of 2,000 features had 32 codes,
    whose sample covariance had directions of variance 1e-6 (the diagonal's
    regularisation alone), and every new normal row scored hundreds of nats
    below the training rows and was flagged."""
    z = codes.to(torch.float64)
    mean = z.mean(dim=0)
    centred = z - mean
    eye = torch.eye(z.shape[1], dtype=z.dtype, device=z.device)
    if 1 < len(z) < ROWS_PER_CODE * z.shape[1]:
        from sklearn.covariance import ledoit_wolf

        shrunk, _ = ledoit_wolf(centred.cpu().numpy(), assume_centered=True)
        covariance = torch.as_tensor(shrunk, dtype=z.dtype, device=z.device)
    else:
        covariance = centred.T @ centred / max(len(z), 1)
    resolution = CODE_RESOLUTION**2 * z.square().mean(dim=0)
    covariance = covariance + REG_COVAR * eye + torch.diag(resolution)
    return mean.cpu().numpy(), covariance.cpu().numpy()


def bound_codes(codes: torch.Tensor, covariance: np.ndarray, bound: float) -> torch.Tensor:
    """``codes`` with each one's squared Mahalanobis distance from their
    (coordinate-wise) median capped at ``bound`` times the number of codes
    (the distance's expectation), moved along the line to the median: one
    code far out does not stretch a Gaussian or mixture refitted on them.

    The distances are measured in ``covariance`` (the codes' spread before),
    widened as far as the codes' own median distance asks: the bound is for
    a few codes far from the rest, not for a stream that moves. Measured
    from the previous mean in the previous spread, a drift of the stream put
    every code beyond the bound, each was shrunk onto its edge, and the
    refitted covariance collapsed (1e-5 from 4.6) and never recovered.
    """
    z = codes.to(torch.float64)
    centre = z.median(dim=0).values
    # A copy (torch.tensor): fitted arrays of a model joblib loaded with
    # mmap_mode="r" are read-only, and torch warns of undefined behaviour
    # when it shares their memory.
    factor = torch.linalg.cholesky(torch.tensor(covariance, dtype=z.dtype, device=z.device))
    whitened = torch.linalg.solve_triangular(factor, (z - centre).T, upper=False)
    distance = whitened.square().sum(dim=0)
    k = z.shape[1]
    widen = max(1.0, float(distance.median()) / k)
    limit = bound * k * widen
    shrink = torch.sqrt(limit / distance.clamp(min=limit)).unsqueeze(1)
    return (centre + (z - centre) * shrink).to(codes.dtype)


def gaussian_log_density(mean: np.ndarray, covariance: np.ndarray, z: torch.Tensor) -> torch.Tensor:
    """log N(z | mean, covariance) per row, in float64 on ``z``'s device.

    The factorisation runs on the host, on the k x k covariance, and the rows
    meet it as one product with the precision's Cholesky factor (as
    :class:`~sklearn.mixture.GaussianMixture` scores): only standard
    arithmetic touches the rows, so the same code exports to ONNX
    (:func:`skae.to_onnx`), which has no Cholesky factorisation.
    """
    z = z.double()
    covariance = np.ascontiguousarray(covariance, dtype=np.float64)
    precision_chol, log_det = _precision_cholesky(covariance.tobytes(), len(covariance))
    # A copy of the (small) mean: a read-only one (a model loaded with
    # joblib's mmap_mode) made torch warn at every call.
    centred = z - torch.tensor(mean, dtype=z.dtype, device=z.device)
    y = centred @ torch.as_tensor(precision_chol, dtype=z.dtype, device=z.device)
    k = z.shape[1]
    return -0.5 * (y.square().sum(dim=1) + (log_det + k * math.log(2 * math.pi)))


@functools.lru_cache(maxsize=64)
def _precision_cholesky(covariance: bytes, k: int) -> tuple[np.ndarray, float]:
    """The upper factor U of the precision (U U^T = covariance^-1) and the
    covariance's log-determinant, from the float64 bytes of the k x k
    covariance. Cached: scoring calls this once per batch, and a LAPACK call
    there, however small, wakes the BLAS threads, which then contend with
    torch's for the cores (on two cores, two threads scored 4 to 8 times
    slower than one). The arrays are shared between calls: read them only."""
    try:
        chol = np.linalg.cholesky(np.frombuffer(covariance).reshape(k, k))
    except np.linalg.LinAlgError as exc:
        # numpy's message named no cause (probe: a partial_fit chunk holding
        # one value 1e10 standard deviations out).
        raise ValueError(
            "The Gaussian of the codes could not be fitted: their covariance is not "
            "positive definite in float64, which happens when codes of very different "
            "sizes meet, such as those of rows far outside the training data. Check the "
            "rows for values of the wrong units or corrupt entries."
        ) from exc
    # numpy's solve, not scipy's solve_triangular: scipy's own BLAS threads
    # took 6.7 ms for a 2 x 2 system beside another busy process (numpy's:
    # 6 microseconds), and partial_fit's statistics, whose covariance is new
    # at every call, miss the cache.
    precision_chol = np.linalg.solve(chol, np.eye(k)).T
    return precision_chol, float(2 * np.log(np.diag(chol)).sum())


def sample_codes(gmm: GaussianMixture, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
    """Draw ``n_samples`` codes from ``gmm`` using ``rng`` (not the mixture's own seed)."""
    component = rng.choice(len(gmm.weights_), size=n_samples, p=gmm.weights_)
    chol = np.linalg.cholesky(gmm.covariances_)
    noise = rng.standard_normal((n_samples, gmm.means_.shape[1]))
    # Component by component: indexing the factors by row would hold one
    # d x d factor per sample (1.5 GB for 200,000 samples of 32 codes).
    codes = np.empty_like(noise)
    for k in np.unique(component):
        rows = component == k
        codes[rows] = gmm.means_[k] + noise[rows] @ chol[k].T
    return codes


def log_density(gmm: GaussianMixture, z: torch.Tensor) -> torch.Tensor:
    """log p(z) under the fitted mixture, per row, computed in torch (float64).

    Equal to ``gmm.score_samples`` but on ``z``'s device, so the estimators
    can score codes inside their batched, device-side inference.
    """
    z = z.double()

    def as_tensor(array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float64, device=z.device)

    log_prob = _weighted_log_prob(
        z, as_tensor(gmm.weights_), as_tensor(gmm.means_), as_tensor(gmm.precisions_cholesky_)
    )
    return torch.logsumexp(log_prob, dim=1)
