#!/usr/bin/env bash
# One GPU check of the paths users wait on, in one call (meant to finish in under 8 minutes on one GPU):
#   1. TV-L1 flow: pairs/s of the torch TV-L1 (plain and torch.compile'd) against OpenCV on all CPU cores,
#      and its agreement with OpenCV on the genuine clips                          (benchmarks/flow.py)
#   2. training-step samples/s of every skeleton backbone: fp32, bf16, bf16 + channels-last, bf16 + compile
#                                                                                  (benchmarks/train_step.py)
#   3. the same for every video backbone at its recipe's input size              (benchmarks/video_backbones.py)
#   4. I2MD/CMD pre-training: the true BiGRU against the reference's per-frame loop at 64 frames
#                                                                                  (benchmarks/pretrain_i2md.py)
#   5. DMCL end to end: generated RGB-D videos prepared with flow on the device, 2 epochs of training and the
#      test evaluation                                                             (benchmarks/dmcl_learnability.py)
#
# Usage:
#   bash benchmarks/gpu_check.sh                   # on the GPU when torch sees one, else on the CPU
#   bash benchmarks/gpu_check.sh --device cpu      # the same sizes on the CPU (slow)
#   bash benchmarks/gpu_check.sh --quick           # tiny sizes: checks that every part runs (CI, CPU)
#
# Every section prints its own table and its wall time; a failing section is reported and the others still run;
# the exit status is the number of failed sections.
set -uo pipefail

device=auto
quick=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --device) device="${2:?--device needs cpu, cuda or auto}"; shift 2 ;;
        --device=*) device="${1#--device=}"; shift ;;
        --quick) quick=1; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "error: $1: unknown option (use --device cpu|cuda|auto, --quick)" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")/.." || exit 2
python=${PYTHON:-python}
if [[ "$device" == auto ]]; then
    device=$("$python" -c "import torch; print('cuda' if torch.cuda.is_available() else 'cpu')") || exit 2
fi
if [[ "$device" != cpu && "$device" != cuda ]]; then
    echo "error: --device $device: expected cpu, cuda or auto" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0
total_start=$(date +%s)
section() {  # section TITLE COMMAND...: run it, print its wall time, count a failure
    local title=$1 start status
    shift
    echo
    echo "=== $title"
    echo "\$ $*"
    start=$(date +%s)
    "$@"
    status=$?
    echo "--- $title: $(( $(date +%s) - start )) s, exit $status"
    (( status == 0 )) || failed=$((failed + 1))
}

"$python" - <<'EOF'
import os, platform, torch
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, GPU: {gpu}, {os.cpu_count()} CPUs, {platform.node()}")
EOF
echo "device: $device, quick: $quick"

if (( quick )); then
    section "1. TV-L1 flow" "$python" benchmarks/flow.py --device "$device" --quick
    section "2. skeleton backbones, train step" "$python" benchmarks/train_step.py --device "$device" \
        --frames 8 --batch 2 --steps 1 --variants bf16+cl
    section "3. video backbones, train step" "$python" benchmarks/video_backbones.py --device "$device" \
        --size 32 --batch 1 --steps 1 --only "cmpl aux" --variants fp32,bf16+cl
    section "4. I2MD BiGRU vs the reference loop" "$python" benchmarks/pretrain_i2md.py --device "$device" \
        --frames 8 --batch 2 --steps 1 --gru-width 32 --no-memory --quick
    section "5. DMCL end to end, 2 epochs" "$python" benchmarks/dmcl_learnability.py --strategies dmcl \
        --epochs 2 --clips 1 --modalities rgb,depth --device "$device" --flow-device "$device" --work "$work/dmcl" \
        --prepare-workers 1 --set data.workers=0 data.segments=4 data.crop=32 data.test_clips=1
else
    section "1. TV-L1 flow" "$python" benchmarks/flow.py --device "$device" --compile
    section "2. skeleton backbones, train step" "$python" benchmarks/train_step.py --device "$device" \
        --frames 64 --batch 64 --steps 10 --variants fp32,bf16,bf16+cl,bf16+compile
    section "3. video backbones, train step" "$python" benchmarks/video_backbones.py --device "$device" \
        --batch 16 --steps 3 --warmup 1 --variants fp32,bf16,bf16+cl
    section "3b. video backbones, compiled (one row per architecture)" "$python" benchmarks/video_backbones.py \
        --device "$device" --batch 16 --steps 3 --warmup 2 --only "dmcl rgb,mml flow,cmpl primary" \
        --variants bf16+cl+compile
    section "4. I2MD BiGRU vs the reference loop" "$python" benchmarks/pretrain_i2md.py --device "$device" \
        --frames 64 --batch 64 --steps 5 --no-memory
    section "5. DMCL end to end, 2 epochs" "$python" benchmarks/dmcl_learnability.py --strategies dmcl \
        --epochs 2 --clips 2 --device "$device" --flow-device "$device" --work "$work/dmcl"
fi

echo
echo "=== gpu_check: $(( $(date +%s) - total_start )) s in all, $failed section(s) failed"
exit "$failed"
