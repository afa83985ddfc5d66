#!/usr/bin/env bash
# Test: every example refuses bad flags and unusable files before any work starts.
#   bad flags (not a number, out of range, not in the list, unknown, missing value)
#                         -> exit status 2 and a usage message on stderr
#   --help                -> exit status 0 and the usage on stdout
#   --out /nonexistent/dir, --checkpoint into a missing folder
#                         -> non-zero, a message naming the folder
#   --resume of a missing, corrupt or foreign file (discrete_vae)
#                         -> non-zero (never 134, an abort), a message naming the file
# Every run must end within a few seconds (a run that trained would time out).
# Usage: flags_test.sh DIR_OF_THE_EXAMPLE_BINARIES
set -uo pipefail
bin=${1:?usage: flags_test.sh DIR_OF_THE_EXAMPLE_BINARIES}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
failures=0
runs=0

# expect STATUS PATTERN STREAM -- PROGRAM ARGS...: STATUS is a number or "nonzero"; PATTERN an
# extended regular expression the output on STREAM (stdout or stderr) must match.
expect() {
  local want=$1 pattern=$2 stream=$3
  shift 4
  local name=$1
  shift
  runs=$((runs + 1))
  timeout 30 "$bin/$name" "$@" >out.txt 2>err.txt
  local rc=$?
  local text
  text=$(cat "$([[ $stream == stdout ]] && echo out.txt || echo err.txt)")
  local ok=1
  if [[ $want == nonzero ]]; then
    ((rc != 0 && rc != 124 && rc != 134 && rc < 128)) || ok=0
  else
    ((rc == want)) || ok=0
  fi
  grep -Eq -- "$pattern" <<<"$text" || ok=0
  if ((ok)); then
    echo "ok    $name $* -> $rc"
  else
    echo "FAIL  $name $* -> exit $rc (want $want, $stream matching '$pattern'); stderr:"
    sed 's/^/      /' err.txt | head -n 5
    failures=$((failures + 1))
  fi
}

usage='^usage: '
for ex in bernoulli_not hard_attention estimators cartpole hmm regime_mixture discrete_vae ipd_lola; do
  expect 0 "$usage" stdout -- "$ex" --help
  expect 2 "$usage" stderr -- "$ex" --bogus
  expect 2 "$usage" stderr -- "$ex" --quick extra-word
  expect 2 "$usage" stderr -- "$ex" --out
  expect nonzero "/nonexistent/dir" stderr -- "$ex" --out /nonexistent/dir
done
for ex in bernoulli_not hard_attention hmm regime_mixture; do
  expect 2 "--steps.*abc" stderr -- "$ex" --steps abc
  expect 2 "$usage" stderr -- "$ex" --steps 0
  expect 2 "$usage" stderr -- "$ex" --steps -3
  expect 2 "$usage" stderr -- "$ex" --steps 12x
done
expect 2 "--samples" stderr -- bernoulli_not --samples 0
expect 2 "$usage" stderr -- bernoulli_not --samples 1
expect 2 "--seed" stderr -- hard_attention --seed -1
expect 2 "$usage" stderr -- hmm --sequences 0
expect 2 "$usage" stderr -- regime_mixture --sessions 0
expect 2 "--seed" stderr -- regime_mixture --seed -1
expect 2 "$usage" stderr -- ipd_lola --boxes maybe
expect 2 "$usage" stderr -- ipd_lola --batch 1
expect 2 "--eta" stderr -- ipd_lola --eta 0
expect 2 "$usage" stderr -- ipd_lola --loaded-batches 1
expect 2 "--loaded needs --boxes live" stderr -- ipd_lola --loaded --boxes rule
expect 2 "--runs" stderr -- estimators --runs abc
expect 2 "$usage" stderr -- estimators --runs 0
expect 2 "--lr" stderr -- cartpole --lr -1
expect 2 "$usage" stderr -- cartpole --lr abc
expect 2 "$usage" stderr -- cartpole --batch 1
expect 2 "$usage" stderr -- cartpole --seeds 0
expect 2 "--max-episodes" stderr -- cartpole --batch 8 --max-episodes 4
expect 2 "--estimator.*bogus" stderr -- discrete_vae --estimator bogus
expect 2 "$usage" stderr -- discrete_vae --kl none
expect 2 "$usage" stderr -- discrete_vae --model deep
expect 2 "$usage" stderr -- discrete_vae --binarize maybe
expect 2 "$usage" stderr -- discrete_vae --samples 0
expect 2 "$usage" stderr -- discrete_vae --batch abc
expect 2 "$usage" stderr -- discrete_vae --epochs -1
expect 2 "$usage" stderr -- discrete_vae --estimator disarm --samples 3
expect 2 "--objective" stderr -- discrete_vae --objective elbo --estimator vimco
expect 2 "--objective iwae" stderr -- discrete_vae --objective iwae --estimator relax
expect 2 "--objective iwae" stderr -- discrete_vae --objective iwae --kl analytic
expect 2 "--objective iwae" stderr -- discrete_vae --objective iwae --variance 4
expect 2 "$usage" stderr -- discrete_vae --test-samples 0
expect 2 "$usage" stderr -- discrete_vae --model deeper
expect 2 "$usage" stderr -- discrete_vae --objective bound
expect 2 "$usage" stderr -- discrete_vae --variance 1
expect nonzero "/nonexistent/dir" stderr -- discrete_vae --checkpoint /nonexistent/dir/ck.bin
expect nonzero "missing\.bin" stderr -- discrete_vae --resume missing.bin
head -c 4096 /dev/urandom >corrupt.bin
expect nonzero "corrupt\.bin" stderr -- discrete_vae --quick --resume corrupt.bin
printf 'not a checkpoint\n' >text.bin
expect nonzero "text\.bin" stderr -- discrete_vae --quick --resume text.bin
# Checkpoints of other runs: of another model (linear, resumed by the MLP), and of another data
# order (--train-images 100, resumed with 200). Needs the data (one batch, one epoch: fast).
small=(--quick --train-images 100 --test-images 100)
"$bin/discrete_vae" "${small[@]}" --epochs 1 --model linear --checkpoint linear.bin >/dev/null 2>&1
if [[ -s linear.bin ]]; then
  expect nonzero "linear\.bin.*parameter" stderr -- discrete_vae "${small[@]}" --epochs 2 --resume linear.bin
  expect nonzero "linear\.bin.*progress" stderr -- discrete_vae --quick --train-images 200 --test-images 100 \
    --model linear --epochs 2 --resume linear.bin
else
  echo "skip  foreign --resume (discrete_vae could not write a checkpoint: no data?)"
fi

echo "$((runs - failures)) of $runs runs as expected"
((failures == 0))
