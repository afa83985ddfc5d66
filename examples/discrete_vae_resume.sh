#!/usr/bin/env bash
# Test: a discrete VAE run stopped after epoch 1 (--checkpoint) and resumed (--resume) ends
# with parameters bit-identical to a run that was never stopped (same params_crc), with the KL
# sampled and analytic. Usage: discrete_vae_resume.sh PATH_TO_discrete_vae
set -euo pipefail
vae=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
small=(--quick --train-images 400 --test-images 100)
crc() { sed -n 's/.*"params_crc":"\([0-9a-f]*\)".*/\1/p' | tail -n 1; }
for kl in sampled analytic; do
  straight=$("$vae" "${small[@]}" --kl "$kl" --epochs 2 | crc || true)
  "$vae" "${small[@]}" --kl "$kl" --epochs 1 --checkpoint ck.bin >/dev/null || true
  resumed=$("$vae" "${small[@]}" --kl "$kl" --epochs 2 --resume ck.bin | crc || true)
  echo "KL $kl: never stopped $straight, resumed $resumed"
  [[ -n $straight && $straight == "$resumed" ]] || { echo "FAIL: the resumed run differs"; exit 1; }
done
echo "OK: resumed runs are bit-identical"
