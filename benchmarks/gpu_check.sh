#!/usr/bin/env bash
# The GPU checks of issue 15 in one call: the GPU tests, the speed tables at
# the default training length and at one epoch, a profile of one fit per
# kind, and the host and device memory of fits on 100,000 and 1,000,000 rows.
#
# Usage, from the repository root on a machine with CUDA:
#
#     bash benchmarks/gpu_check.sh [RESULTS_DIR] [MNIST_DIR]
#
# RESULTS_DIR (default: $OUT, else gpu_results) receives the reports (seven
# files). MNIST_DIR (default: $SKAE_MNIST, else ../shared/data/mnist) holds
# t10k-images-idx3-ubyte.gz. Wheels in .whl/ (skorch, for a machine without
# it) are installed into a private folder first. tests/test_gpu.py's
# Accelerate test runs only where accelerate imports, and is skipped otherwise.
# Each step has a time limit, so that one slow step still leaves the others'
# results; the limits add up to 555 s, inside one call's 10 minutes (the whole run
# took 543 s on one H200 on 2026-11-29, when the tests were stopped at 120 s).
set -u
results=${1:-${OUT:-gpu_results}}
mnist=${2:-${SKAE_MNIST:-../shared/data/mnist}}
mkdir -p "$results"
export PYTHONUNBUFFERED=1

if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target /tmp/skae_site .whl/*.whl || exit 1
fi
export PYTHONPATH="/tmp/skae_site:$PWD${PYTHONPATH:+:$PYTHONPATH}"

{
    nvidia-smi
    python3 -c "import torch, sklearn, skorch; print('torch', torch.__version__, 'cuda', \
torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name() \
if torch.cuda.is_available() else ''); print('sklearn', sklearn.__version__, \
'skorch', skorch.__version__)"
} > "$results/environment.txt" 2>&1
tail -n 2 "$results/environment.txt"
if ! python3 -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
    echo "error: torch sees no CUDA device here." >&2
    exit 1
fi

# The tests first: a failure there makes the timings moot.
timeout 180 python3 -m pytest -q -p no:cacheprovider tests/test_gpu.py 2>&1 \
    | tee "$results/test_gpu.txt" | tail -n 5

speed=(python3 benchmarks/speed.py --device cuda --threads 4 --tile 6 --data "$mnist")
# Where the host time of one fit goes, at the default training length.
timeout 40 "${speed[@]}" --epochs 10 --batch-sizes 1024 --profile > "$results/profile_cuda.txt" 2>&1
# The goals apply at the default training length: 10 epochs for 60,000 rows.
timeout 200 "${speed[@]}" --epochs 10 --batch-sizes 256 1024 --repeats 3 --no-throughput 2>&1 \
    | tee "$results/speed_cuda_default.txt"
# One epoch at the three batch sizes (reported, as before), and throughput.
timeout 60 "${speed[@]}" --epochs 1 --batch-sizes 64 256 1024 --repeats 1 2>&1 \
    > "$results/speed_cuda_1epoch.txt"
grep "^|" "$results/speed_cuda_1epoch.txt"

# Memory: each size in a fresh process, as the peak resident memory is the process's.
{
    timeout 30 python3 benchmarks/device_memory.py --device cuda --rows 100000 --header
    timeout 45 python3 benchmarks/device_memory.py --device cuda --rows 1000000
} 2>&1 | tee "$results/memory_cuda.txt"
