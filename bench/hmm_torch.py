#!/usr/bin/python3
"""PyTorch twin of the HMM workload (W5): the exact log-likelihood of N sequences and its
gradient by a vectorized, scaled forward algorithm with autograd (what Pyro's enumeration
computes for this model), on one thread, from the problem bench_hmm --bench wrote.

Usage: hmm_torch.py DATA.json   -> one JSON line: ll, median seconds per ll + gradient
"""
import json
import sys
import time

import torch


def main():
    torch.set_num_threads(1)
    d = json.load(open(sys.argv[1]))
    l0 = torch.tensor(d["l0"], dtype=torch.float64, requires_grad=True)
    A = torch.tensor(d["A"], dtype=torch.float64, requires_grad=True)
    B = torch.tensor(d["B"], dtype=torch.float64, requires_grad=True)
    ys = torch.tensor(d["ys"], dtype=torch.long)  # N x T

    def loglik():
        logB = torch.log_softmax(B, dim=1)          # k x M
        P = torch.softmax(A, dim=1)                 # k x k
        emit = logB[:, ys].permute(1, 2, 0).exp()   # N x T x k
        alpha = torch.softmax(l0, dim=1) * emit[:, 0]
        s = alpha.sum(1, keepdim=True)
        ll = torch.log(s).sum()
        alpha = alpha / s
        for t in range(1, ys.shape[1]):
            alpha = (alpha @ P) * emit[:, t]
            s = alpha.sum(1, keepdim=True)
            ll = ll + torch.log(s).sum()
            alpha = alpha / s
        return ll

    def step():
        for p in (l0, A, B):
            p.grad = None
        ll = loglik()
        ll.backward()
        return ll.item()

    ll = step()
    for _ in range(3):
        step()
    times = []
    for _ in range(7):
        reps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 0.2:
            step()
            reps += 1
        times.append((time.perf_counter() - t0) / reps)
    times.sort()
    print(json.dumps({"workload": "hmm", "impl": "pytorch", "ll": ll, "median_s": times[len(times) // 2]}))


if __name__ == "__main__":
    main()
