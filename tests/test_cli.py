"""The ``skae`` command line and its ``demo`` job."""

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from skae import _demo
from skae._cli import main

REPO_ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One quick ``skae demo --plot``: its exit status, output, results and plot path."""
    plot = tmp_path_factory.mktemp("demo") / "demo.png"
    results = []

    def recording_run_demo(**kwargs):
        results.append(original(**kwargs))
        return results[-1]

    original = _demo.run_demo
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(stdout):
        mp.setattr(_demo, "run_demo", recording_run_demo)
        status = main(["demo", "--quick", "--plot", str(plot)])
    return {"status": status, "output": stdout.getvalue(), "results": results, "plot": plot}


def test_demo_succeeds_and_writes_png(demo):
    assert demo["status"] == 0
    assert demo["plot"].is_file()
    assert demo["plot"].read_bytes()[:8] == PNG_MAGIC
    assert len(demo["results"]) == 1
    assert demo["results"][0]["plot"] == str(demo["plot"])
    assert demo["results"][0]["max_epochs"] == _demo.QUICK_EPOCHS


def test_demo_prints_tables(demo):
    lines = demo["output"].splitlines()
    assert "fitting AutoEncoder (n_components=2) ..." in demo["output"]
    for header in ("| model", "test MSE", "k-NN accuracy", "ROC-AUC", "average precision"):
        assert any(header in line for line in lines), header
    rows = [line.split("|")[1:-1] for line in lines if line.startswith("| ")]
    cells = [[cell.strip() for cell in row] for row in rows]
    reduction = [(row[0], row[1]) for row in cells if len(row) == 5]
    assert ("mean", "-") in reduction
    for k in _demo.N_COMPONENTS:
        assert ("AutoEncoder", str(k)) in reduction
        assert ("PCA", str(k)) in reduction
    outliers = [row[0] for row in cells if len(row) == 4]
    detectors = [model.name for model in _demo.MODELS if model.detector is not None]
    assert outliers == ["model", *detectors]
    assert {"AutoEncoder", "PCA", "IsolationForest"} <= set(detectors)
    # Aligned: every line of a table has the same width.
    for n_cells in (5, 4):
        table = [line for line in lines if line.startswith("|") and line.count("|") == n_cells + 1]
        assert len({len(line) for line in table}) == 1


def test_demo_numbers_are_sane(demo):
    results = demo["results"][0]
    reduction = {(row["model"], row["n_components"]): row for row in results["reduction"]}
    baseline = reduction["mean", None]["mse"]
    for k in _demo.N_COMPONENTS:
        for model in [m.name for m in _demo.MODELS if m.reducer is not None]:
            row = reduction[model, k]
            assert 0 < row["mse"] < baseline
            # Ten classes: chance is 0.1.
            assert row["knn_accuracy"] > 0.5
    assert reduction["AutoEncoder", 8]["mse"] < reduction["AutoEncoder", 2]["mse"]

    outliers = {row["model"]: row for row in results["outliers"]}
    assert set(outliers) == {m.name for m in _demo.MODELS if m.detector is not None}
    for row in outliers.values():
        assert row["roc_auc"] > 0.8
        assert row["average_precision"] > 0.3


def test_no_command_prints_help_and_returns_2(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "demo" in err
    assert err.rstrip().splitlines()[-1].endswith("error: a command is required, e.g. 'skae demo'")


def test_usage_errors_return_2(capsys, tmp_path):
    assert main(["demo", "--no-such-option"]) == 2
    assert main(["demo", "--plot", str(tmp_path / "missing" / "x.png")]) == 2
    assert "no directory" in capsys.readouterr().err
    # Refused before training, not after it.
    assert main(["demo", "--plot", ""]) == 2
    assert "needs a file name" in capsys.readouterr().err
    assert main(["demo", "--plot", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    # A probe: a folder not there yet was written as a file of its name.
    for name in ("figures" + os.sep, os.path.join("figures", ".")):
        # Joined as text: pathlib drops a trailing "/." (and "/").
        assert main(["demo", "--plot", str(tmp_path) + os.sep + name]) == 2
        assert "is a directory" in capsys.readouterr().err
        assert not (tmp_path / "figures").exists()
    if os.path.isdir("/proc"):  # where permissions say yes even to root
        assert main(["demo", "--plot", "/proc/skae-demo.png"]) == 2
        assert "cannot write" in capsys.readouterr().err
    # A mutation audit: a pipe hung the check (no reader), and a device was
    # replaced by the figure after training (/dev/null, as root).
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe")

        def hung(*_):
            raise TimeoutError("the check of --plot opened the pipe and waited for a reader")

        # A regression hung the test run; it fails it instead (a mutation audit).
        previous = signal.signal(signal.SIGALRM, hung)
        signal.alarm(60)
        try:
            assert main(["demo", "--plot", str(tmp_path / "pipe")]) == 2
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        assert "is not a regular file" in capsys.readouterr().err
        assert (tmp_path / "pipe").is_fifo()
    if os.path.exists("/dev/null"):
        assert main(["demo", "--plot", "/dev/null"]) == 2
        assert "is not a regular file" in capsys.readouterr().err


def test_version_names_the_package_and_its_version(capsys):
    """Mutation audit: --version prints "skae" and the version."""
    import skae

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"skae {skae.__version__}"


def test_plot_without_matplotlib_fails_before_training(capsys, monkeypatch, tmp_path):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["demo", "--quick", "--plot", str(tmp_path / "x.png")]) == 1
    captured = capsys.readouterr()
    assert 'pip install "skae[plot]"' in captured.err
    assert "fitting" not in captured.out
    assert not (tmp_path / "x.png").exists()


def test_python_m_skae_help():
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "skae", "--help"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: skae")
    assert "demo" in proc.stdout


def test_a_command_usage_error_shows_the_command_usage(capsys):
    assert main(["demo", "--bogus"]) == 2
    err = capsys.readouterr().err
    assert "usage: skae demo" in err and "--bogus" in err
    assert main(["demo", "extra"]) == 2
    assert "usage: skae demo" in capsys.readouterr().err
    # An option before the command is the top level's: the command's usage
    # listed --quick above "unrecognized arguments: --quick" (a probe).
    for words in (["--quick", "demo"], ["--bogus"], ["--bogus", "demo", "--quick"]):
        assert main(words) == 2
        err = capsys.readouterr().err
        assert "usage: skae [-h]" in err and "skae: error: unrecognized" in err
    # A review: an extra word spelt as the command is the command's.
    for words in (["demo", "demo"], ["demo", "--quick", "demo"]):
        assert main(words) == 2
        assert "usage: skae demo" in capsys.readouterr().err


class _SwallowsInterrupts:
    """A fit that keeps what it has when Ctrl-C comes, as skorch's does."""

    def fit(self, X):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs between bytecodes
                time.sleep(0.001)
        except KeyboardInterrupt:
            pass
        return self


@pytest.fixture
def interruptible():
    """Ctrl-C raises KeyboardInterrupt, as in a terminal (a background job,
    such as a test run under nohup, ignores it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_an_interrupted_fit_stops_the_demo(capsys, monkeypatch, interruptible):
    with pytest.raises(KeyboardInterrupt):
        _demo._timed_fit(_SwallowsInterrupts(), None, "model", io.StringIO())
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    def run(plot, *, epochs, out):
        _demo._timed_fit(_SwallowsInterrupts(), None, "model", out)
        raise AssertionError("the demo went on after the interrupt")

    monkeypatch.setattr(_demo, "_run", run)
    assert main(["demo", "--quick"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_a_closed_pipe_and_a_failed_plot_end_with_a_message_not_a_traceback(
    capsys, monkeypatch, tmp_path
):
    def closed_pipe(**kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(_demo, "run_demo", closed_pipe)
    assert main(["demo", "--quick"]) == 1

    def unwritable(**kwargs):
        raise _demo.PlotWriteError("cannot write --plot x.png: Permission denied")

    monkeypatch.setattr(_demo, "run_demo", unwritable)
    assert main(["demo", "--quick", "--plot", str(tmp_path / "x.png")]) == 1
    assert "skae demo: error: cannot write --plot" in capsys.readouterr().err


def test_the_pca_detector_scores_standardised_features():
    """Mutation audit: the demo's PCA detector standardises the features
    first, so its scores do not depend on their units."""
    from sklearn.datasets import load_breast_cancer

    X, _ = load_breast_cancer(return_X_y=True)
    units = np.arange(1, X.shape[1] + 1)
    plain = _demo._PCAReconstructionError("auto").fit(X).score_samples(X)
    rescaled = _demo._PCAReconstructionError("auto").fit(X * units).score_samples(X * units)
    np.testing.assert_allclose(plain, rescaled, rtol=1e-6, atol=1e-9)


def test_the_demo_detectors_are_the_estimators_defaults():
    """Mutation audit: the outlier table shows each kind with its defaults
    (max_epochs="auto"), not the reduction table's epochs."""
    from skae import BaseAutoEncoder

    detectors = [model.detector(7) for model in _demo.MODELS if model.detector]
    kinds = [d for d in detectors if isinstance(d, BaseAutoEncoder)]
    assert kinds
    for detector in kinds:
        assert detector.max_epochs == type(detector)().max_epochs


def test_an_ignored_ctrl_c_stays_ignored():
    """Mutation audit: where Ctrl-C is ignored (a background job) a fit does
    not turn it into an interrupt."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _demo._interrupt_passed_on():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    except KeyboardInterrupt:
        pytest.fail("an ignored Ctrl-C interrupted the fit")
    finally:
        signal.signal(signal.SIGINT, previous)


def test_run_demo_gives_torch_its_thread_count_back(monkeypatch):
    """Mutation audit: the demo trains on one thread and restores the count."""
    import torch

    monkeypatch.setattr(_demo, "_run", lambda plot, *, epochs, out: {})
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        _demo.run_demo(out=io.StringIO())
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_the_reduction_rows_are_what_an_independent_computation_gives(monkeypatch):
    """Mutation audit: the demo's reduction table (here its PCA rows, fast)
    holds the held-out error of the training mean and of PCA, and the 5-NN
    accuracy of the held-out codes, as computed here from scratch."""
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsClassifier

    monkeypatch.setattr(_demo, "MODELS", tuple(m for m in _demo.MODELS if m.name == "PCA"))
    rows, _ = _demo._reduction(1, io.StringIO())
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=_demo.SEED)
    table = {(row["model"], row["n_components"]): row for row in rows}
    assert table["mean", None]["mse"] == pytest.approx(np.mean((X_test - X_train.mean(0)) ** 2))
    pca = PCA(2).fit(X_train)
    knn = KNeighborsClassifier(5).fit(pca.transform(X_train), y_train)
    assert table["PCA", 2]["knn_accuracy"] == pytest.approx(
        knn.score(pca.transform(X_test), y_test)
    )
    back = pca.inverse_transform(pca.transform(X_test))
    assert table["PCA", 2]["mse"] == pytest.approx(np.mean((X_test - back) ** 2))


def test_the_plot_probe_leaves_an_existing_file_as_it_is(capsys, monkeypatch, tmp_path):
    """Mutation audit: the check that --plot can be written, before the
    training, opens the file to append, so an existing figure keeps its
    content when the demo then fails. The mutant's probe opened it to
    write, and emptied it before training."""
    plot = tmp_path / "x.png"
    plot.write_bytes(b"old")

    def unwritable(**kwargs):
        raise _demo.PlotWriteError(f"cannot write --plot {plot}: Permission denied")

    monkeypatch.setattr(_demo, "run_demo", unwritable)
    assert main(["demo", "--plot", str(plot)]) == 1
    assert "skae demo: error: cannot write --plot" in capsys.readouterr().err
    assert plot.read_bytes() == b"old"


def test_quick_is_passed_to_the_demo(monkeypatch):
    """Mutation audit: ``skae demo`` runs the full demo and ``skae demo
    --quick`` the quick one; the mutants passed one fixed value."""
    calls = []
    monkeypatch.setattr(_demo, "run_demo", lambda **kwargs: calls.append(kwargs))
    assert main(["demo"]) == 0
    assert main(["demo", "--quick"]) == 0
    assert calls == [{"plot": None, "quick": False}, {"plot": None, "quick": True}]


def test_format_table_aligns_as_its_rule_says():
    """Mutation audit: the rule line's alignment markers, the cells' own
    alignment and the widths set by the headers were not pinned."""
    columns = (("name", "a", "{}", "<"), ("v", "b", "{:.1f}", ">"))
    table = _demo.format_table(columns, [{"a": "x", "b": 1.25}, {"a": "yyyyy", "b": None}])
    assert table == "| name  |   v |\n|:------|----:|\n| x     | 1.2 |\n| yyyyy |   - |"


def test_a_timed_fit_runs_outside_the_main_thread():
    """Mutation audit: the interrupt handler is only installed in the main
    thread (signal refuses it elsewhere)."""

    class Quick:
        def fit(self, X):
            return self

    errors = []

    def target():
        try:
            _demo._timed_fit(Quick(), None, "quick", io.StringIO())
        except Exception as exc:  # a failure to report, whatever its type
            errors.append(exc)

    import threading

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    assert errors == []


def test_the_demo_seeds_every_autoencoder():
    """Mutation audit: the reducers and detectors were built unseeded, and
    nothing said so."""
    from skae import BaseAutoEncoder

    built = []
    for model in _demo.MODELS:
        if model.reducer is not None:
            built.append(model.reducer(2, 1))
        if model.detector is not None:
            built.append(model.detector(1))
    autoencoders = [est for est in built if isinstance(est, BaseAutoEncoder)]
    assert autoencoders and all(est.random_state == _demo.SEED for est in autoencoders)


@pytest.fixture(scope="module")
def plot_data():
    patch = pytest.MonkeyPatch()
    kept = tuple(m for m in _demo.MODELS if m.name in ("AutoEncoder", "PCA"))
    patch.setattr(_demo, "MODELS", kept)
    try:
        _, data = _demo._reduction(1, io.StringIO())
    finally:
        patch.undo()
    return data


def test_the_plot_writes_through_a_symlink(tmp_path, plot_data):
    """Mutation audit: --plot naming a link replaced the link with a file."""
    target = tmp_path / "real.png"
    target.write_bytes(b"old")
    link = tmp_path / "link.png"
    link.symlink_to(target)
    _demo._plot(str(link), plot_data)
    assert link.is_symlink()
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_a_failed_plot_write_is_a_plot_write_error(monkeypatch, tmp_path, plot_data):
    """Mutation audit: the CLI's test raised PlotWriteError itself, so the
    demo's conversion of the OSError was never run."""
    import errno

    def full(path, write):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_demo, "replace_file", full)
    with pytest.raises(_demo.PlotWriteError, match="cannot write --plot .*No space left on device"):
        _demo._plot(str(tmp_path / "x.png"), plot_data)
