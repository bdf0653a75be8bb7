"""Grid search on a Dask cluster (two local worker processes, loopback only)."""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.model_selection import GridSearchCV

from skae import AutoEncoder

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
    assert workers and workers <= set(client.scheduler_info()["workers"])
