#!/usr/bin/env bash
# The GPU checks of issue 6 in one call: the GPU tests, then the GPU speed table.
#
# Usage, from the repository root on a machine with CUDA:
#
#     bash benchmarks/gpu_check.sh [RESULTS_DIR] [MNIST_DIR]
#
# RESULTS_DIR (default: $OUT, else gpu_results) receives nvidia-smi's report,
# the test log and the speed table. MNIST_DIR (default: $SKAE_MNIST, else
# ../shared/data/mnist) holds t10k-images-idx3-ubyte.gz. Wheels in .whl/ (for a
# machine without skorch, say) are installed into a private folder first.
# tests/test_gpu.py's Accelerate test runs only where accelerate imports (carry
# its wheel and those of its dependencies in .whl/ too), and is skipped otherwise.
set -u
results=${1:-${OUT:-gpu_results}}
mnist=${2:-${SKAE_MNIST:-../shared/data/mnist}}
mkdir -p "$results"

if compgen -G ".whl/*.whl" > /dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target /tmp/skae_site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/skae_site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi

nvidia-smi > "$results/nvidia-smi.txt" 2>&1
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" \
    | tee "$results/versions.txt"
if ! python3 -c "import sys, torch; sys.exit(not torch.cuda.is_available())"; then
    echo "error: torch sees no CUDA device here." >&2
    exit 1
fi

# The tests first: a failure there makes the timings moot.
python3 -m pytest -q -p no:cacheprovider tests/test_gpu.py 2>&1 | tee "$results/test_gpu.txt" | tail -n 5

python3 benchmarks/speed.py --device cuda --threads 4 --tile 6 --batch-sizes 64 256 1024 \
    --repeats 5 --data "$mnist" 2>&1 | tee "$results/speed_cuda.txt"
