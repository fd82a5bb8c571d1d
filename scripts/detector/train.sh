#!/usr/bin/env bash
# Issue 17: the learned detector from scratch — venv, dataset, training, ONNX export.
# usage: train.sh [TRAIN_SEEDS] [VAL_SEEDS] [STEPS]   (defaults in the Justfile)
set -euo pipefail
cd "$(dirname "$0")/../.."
train=${1:-100000:100299} val=${2:-200000:200039} steps=${3:-10000}
venv=var/train-venv
want="torch==2.15.0 numpy==1.26.4 onnx==1.23.2 onnxruntime==1.32.0 opencv-python-headless==4.10.0.84"
if [ "$(cat $venv/.pinned 2>/dev/null)" != "$want" ]; then
  python3 -m venv $venv
  $venv/bin/pip install -q $want
  echo "$want" > $venv/.pinned
fi
[ -x target/release/eseal ] || cargo build --release --locked --bin eseal
py=$venv/bin/python
$py scripts/detector/dataset.py --out var/detector/train --seeds "$train" --seconds 40
$py scripts/detector/dataset.py --out var/detector/val --seeds "$val" --seconds 40
$py scripts/detector/train.py --data var/detector/train --val var/detector/val \
  --out var/detector/run --steps "$steps" --seed 17002 --size-weight 1.0 | tee var/detector/train.out
echo "model: var/detector/run/detector.onnx (validation: var/detector/run/validation.md)"
