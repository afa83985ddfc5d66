#!/usr/bin/python3
"""Interleaved timing of benchmark processes: runs each labelled command in turn, ROUNDS times,
so slow minutes on a shared machine hit every command alike; prints per label the minimum and
the median of the processes' median_s, and each label's ratio to the first one.

Usage: bench/interleave.py ROUNDS 'LABEL: ENV=VALUE ... -- COMMAND ...' ...
  e.g. bench/interleave.py 5 'default: -- build-bench/bench/bench dense scg' \\
       'two threads: SCG_BENCH_THREADS=2 -- build-bench/bench/bench dense scg' \\
       'pytorch: -- /usr/bin/python3 bench/torch_twin.py dense'
Every process gets OMP_NUM_THREADS=MKL_NUM_THREADS=OPENBLAS_NUM_THREADS=1 unless its spec sets
them; a command prints one JSON line with median_s last (bench, torch_twin.py).
"""
import json
import os
import shlex
import statistics
import subprocess
import sys

BASE = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def parse(spec):
    label, rest = spec.split(":", 1)
    env_part, cmd = rest.split("--", 1)
    env = dict(BASE)
    for kv in shlex.split(env_part):
        k, v = kv.split("=", 1)
        env[k] = v
    return label.strip(), shlex.split(cmd), env


def main():
    rounds = int(sys.argv[1])
    specs = [parse(s) for s in sys.argv[2:]]
    times = {label: [] for label, _, _ in specs}
    for r in range(rounds):
        for label, cmd, env in specs:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
            times[label].append(json.loads(out.strip().splitlines()[-1])["median_s"])
        print("round %d: " % (r + 1) + "  ".join("%s %.4g" % (l, times[l][-1]) for l, _, _ in specs), flush=True)
    first = specs[0][0]
    print("\n| label | min | median | min / min of %s |" % first)
    print("| --- | --- | --- | --- |")
    for label, _, _ in specs:
        t = times[label]
        print("| %s | %.4g s | %.4g s | %.2f |" % (label, min(t), statistics.median(t), min(t) / min(times[first])))


if __name__ == "__main__":
    main()
