"""Grid search and scoring on a Dask cluster (two local worker processes, loopback only)."""

import numpy as np
import pandas as pd
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from skae import AutoEncoder, VariationalAutoEncoder

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # One torch thread per worker: two workers on two cores must not
        # oversubscribe them (OpenMP threads spin while they wait).
        env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    )
    with distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        yield client
    cluster.close()


def test_grid_search_on_dask_matches_local(client, blobs):
    grid = {"n_components": [1, 3], "hidden_layer_sizes": [(8,), (16,)]}
    estimator = AutoEncoder(max_epochs=10, lr=1e-2, batch_size=32, random_state=0)
    local = GridSearchCV(estimator, grid, cv=3).fit(blobs)
    with distributed.get_task_stream(client) as stream, parallel_config(backend="dask"):
        remote = GridSearchCV(estimator, grid, cv=3, n_jobs=-1).fit(blobs)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"], rtol=1e-5
    )
    # The fits ran as tasks on the cluster's two workers.
    assert len(stream.data) >= len(local.cv_results_["params"]) * 3
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= _worker_addresses(client)


def _worker_addresses(client):
    """The workers the scheduler knows now (``client.scheduler_info()`` is a
    copy the client refreshes every few seconds, and a fast test can read it
    before the workers have registered)."""
    return set(client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.workers)))


def _ran_on_workers(stream, client, at_least):
    assert len(stream.data) >= at_least
    workers = {task["worker"] for task in stream.data}
    assert workers and workers <= _worker_addresses(client)


@pytest.mark.parametrize("cls", [AutoEncoder, VariationalAutoEncoder])
def test_model_fitted_in_memory_scores_dask_collections(client, cls):
    da = pytest.importorskip("dask.array")
    dd = pytest.importorskip("dask.dataframe")
    wrappers = pytest.importorskip("dask_ml.wrappers")
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(2, 5))

    def draw(n):
        return rng.normal(size=(n, 2)) @ mixing + 0.1 * rng.normal(size=(n, 5))

    X, big = draw(200), draw(2400)  # twelve times the fitted rows
    big[:100] *= 4  # outliers
    columns = list("abcde")
    est = cls(max_epochs=5, lr=1e-2, batch_size=32, random_state=0).fit(X)
    # The frames' model knows the columns' names (the same network: same seed).
    est_frame = clone(est).fit(pd.DataFrame(X, columns=columns))
    parallel = wrappers.ParallelPostFit(est)
    array = da.from_array(big, chunks=(400, 5))
    frame = dd.from_pandas(pd.DataFrame(big, columns=columns), npartitions=4)
    local = pd.DataFrame(big, columns=columns)

    with distributed.get_task_stream(client) as stream:
        # transform and predict through dask-ml, partition by partition.
        codes = parallel.transform(array).compute()
        labels = parallel.predict(array).compute()
        frame_labels = wrappers.ParallelPostFit(est_frame).predict(frame).compute()
        # score_samples (dask-ml wraps no such method): map the partitions.
        scores = array.map_blocks(est.score_samples, drop_axis=1, dtype=np.float64).compute()
        # dask-ml's lazy transform keeps the input's width in its chunks;
        # map_blocks told the codes' width has the right shape before computing.
        lazy = array.map_blocks(est.transform, chunks=(array.chunks[0], (2,)), dtype=np.float64)
        assert lazy.shape == (2400, 2)
        np.testing.assert_array_equal(lazy.compute(), codes)
        # As the guide writes it: a Series, as meta says (a bare array made
        # a Dask Series whose sum and to_frame failed).
        frame_scores = frame.map_partitions(
            lambda part: pd.Series(est_frame.score_samples(part), index=part.index, name="s"),
            meta=("s", "f8"),
        ).compute()
        assert isinstance(frame_scores, pd.Series)
    _ran_on_workers(stream, client, at_least=5 * 6)

    np.testing.assert_allclose(codes, est.transform(big), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(labels, est.predict(big))
    np.testing.assert_array_equal(np.asarray(frame_labels), est_frame.predict(local))
    np.testing.assert_allclose(scores, est.score_samples(big), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(frame_scores), est_frame.score_samples(local), rtol=1e-6)
    np.testing.assert_array_equal(frame_scores.index, local.index)
    # The planted outliers are among those flagged.
    assert (labels[:100] == -1).mean() > 0.5 > (labels[100:] == -1).mean()
