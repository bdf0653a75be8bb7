"""The ``skae`` command line."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser, and each command's own (for its usage errors)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="skae",
        description="scikit-learn estimators for autoencoders, trained with PyTorch.",
    )
    parser.add_argument("--version", action="version", version=f"skae {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="compare autoencoders with PCA and IsolationForest on small datasets",
        description=(
            "Fit autoencoders and classical baselines for dimensionality reduction "
            "(digits: held-out reconstruction error, k-NN accuracy on the codes) and "
            "outlier detection (breast cancer: ROC-AUC, average precision), and print "
            "the results as tables."
        ),
    )
    demo.add_argument(
        "--plot",
        metavar="FILE",
        help='write a PNG figure of the codes and reconstructions (needs "skae[plot]")',
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="train the reduction models for fewer epochs (for tests; less accurate)",
    )
    demo.set_defaults(handler=_demo)
    return parser, {"demo": demo}


def _plot_problem(plot: str) -> str | None:
    """Why ``--plot`` cannot be written, checked before the minutes of training."""
    if not plot:
        return "--plot needs a file name"
    if plot.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)) or os.path.basename(
        plot
    ) in (".", ".."):
        # A folder, there or not: resolve() drops the slash, and a folder
        # not there yet was written as a file of its name (a probe).
        return f"--plot {plot} is a directory, not a file"
    path = Path(plot).resolve()
    if path.is_dir():
        return f"--plot {plot} is a directory, not a file"
    if not path.parent.is_dir():
        return f"no directory for --plot {plot}"
    if path.exists() and not path.is_file():
        # A device or a pipe: the figure is written beside it and renamed
        # over it, which replaced /dev/null (as root), and the check below
        # hung on a pipe with no reader.
        return f"--plot {plot} is not a regular file"
    # Try it: permissions alone say yes to root, and to places like /proc.
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        return f"cannot write --plot {plot}: {exc.strerror}"
    if not existed:
        path.unlink()
    return None


def _demo(args: argparse.Namespace) -> int:
    problem = None if args.plot is None else _plot_problem(args.plot)
    if problem is not None:
        print(f"skae demo: error: {problem}", file=sys.stderr)
        return 2
    from ._demo import MissingDependencyError, PlotWriteError, run_demo

    try:
        run_demo(plot=args.plot, quick=args.quick)
    except (MissingDependencyError, PlotWriteError) as exc:
        print(f"skae demo: error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``skae`` command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments, without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 on a failure (such as a missing
        optional dependency), 2 on a usage error (including no command), 130
        when interrupted.
    """
    parser, commands = _parser()
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        args, extras = parser.parse_known_args(words)
        if extras:
            # The command's own usage, which names its options, not the top
            # one; but an option before the command is the top level's (the
            # command's usage listed --quick above "unrecognized: --quick").
            command = words.index(args.command) if args.command in words else len(words)
            before = any(word in words[:command] for word in extras)
            where = parser if before or args.command is None else commands[args.command]
            where.error(f"unrecognized arguments: {' '.join(extras)}")
    except SystemExit as exc:
        # --help, --version and usage errors: argparse has printed its message.
        return exc.code if isinstance(exc.code, int) else 1
    if args.command is None:
        # The help, then argparse's own form of a usage error: the help alone
        # said nothing of what was wrong (a probe).
        parser.print_help(sys.stderr)
        print(f"{parser.prog}: error: a command is required, e.g. 'skae demo'", file=sys.stderr)
        return 2
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("skae: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of the output went away (``skae demo | head``): stop
        # quietly; the redirection keeps Python's exit flush from failing too.
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
