#!/usr/bin/python3
"""PyTorch twins of the scg benchmark workloads (CPU, one thread), written the way PyTorch
users write them: the REINFORCE surrogate by hand. Prints one JSON line like bench.cpp.

  torch_twin.py not_gate N | dense [float32] | vae [DATA] [float32]

float32: the same workload in single precision (a speed anchor: scg computes in double); its
check line carries the values, not compared with scg's.
"""
import gzip
import json
import math
import resource
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)


def det(rows, cols, salt, scale):
    """The same deterministic numbers as bench::det in common.hpp."""
    i = torch.arange(rows, dtype=torch.float64).unsqueeze(1)
    j = torch.arange(cols, dtype=torch.float64).unsqueeze(0)
    return scale * torch.sin(0.7 * i + 1.3 * j + salt)


def time_it(f, warm, blocks, per_block):
    for _ in range(warm):
        f()
    t = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(per_block):
            f()
        t.append((time.perf_counter() - t0) / per_block)
    return statistics.median(t)


def report(workload, config, median_s, check):
    impl = "pytorch" if torch.get_default_dtype() == torch.float64 else "pytorch_f32"
    print(json.dumps({"workload": workload, "impl": impl, "config": config, "median_s": median_s,
                      "allocs_per_call": None,
                      "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "check": check}))


def not_gate(n):
    copies = n // 2
    w0, b0, w1, b1 = (torch.tensor(v, requires_grad=True) for v in (0.3, -0.2, -0.7, 0.4))
    x = torch.cat([torch.zeros(copies), torch.ones(copies)])
    t = 1 - x

    def estimate():
        logit = w0 * x + b0
        b = torch.bernoulli(torch.sigmoid(logit)).detach()
        c = (t - b * torch.sigmoid(w1 * x + b1)) ** 2
        logp = b * logit - torch.nn.functional.softplus(logit)
        surrogate = (c + c.detach() * logp).sum() / copies  # each row's score by its own cost
        return torch.autograd.grad(surrogate, [w0, b0, w1, b1])

    # Check: Monte-Carlo mean against the exact gradient.
    sig = lambda v: 1 / (1 + math.exp(-v))
    exact = [0.0] * 4
    for xv in (0, 1):
        tv, p, s = 1 - xv, sig(0.3 * xv - 0.2), sig(-0.7 * xv + 0.4)
        dp = p * (1 - p) * ((tv - s) ** 2 - tv * tv)
        ds = p * -2.0 * (tv - s) * s * (1 - s)
        exact = [exact[0] + dp * xv, exact[1] + dp, exact[2] + ds * xv, exact[3] + ds]
    runs = 20000 if n <= 64 else 2000
    torch.manual_seed(1)
    g = torch.stack([torch.stack(estimate()) for _ in range(runs)])
    mean, se = g.mean(0), g.std(0) / math.sqrt(runs)
    worst = max(abs(mean[i].item() - exact[i]) / se[i].item() for i in range(4))
    check = "%s: mean within %.1f SE of exact (%d runs)" % ("ok" if worst < 4.5 else "FAIL", worst, runs)
    report("not_gate", "N=%d" % n, time_it(estimate, 50, 15, max(1, 2000 // max(1, n // 64))), check)


def dense():
    dt = torch.get_default_dtype()
    X = det(64, 512, 0.1, 1.0).to(dt).requires_grad_()
    W = det(512, 512, 0.2, 0.05).to(dt).requires_grad_()
    b = det(1, 512, 0.3, 0.1).to(dt).requires_grad_()
    out = {}

    def step():
        value = torch.tanh(X @ W + b).sum()
        out["v"] = value
        out["g"] = torch.autograd.grad(value, [X, W, b])

    step()
    gX, gW, gb = out["g"]
    check = "value=%.12e gX=%.12e gW=%.12e gb=%.12e" % (out["v"].item(), gX.sum().item(), gW.sum().item(), gb.sum().item())
    report("dense", "X 64x512, W 512x512", time_it(step, 5, 15, 10), check)


def vae(data):
    B, K, P, L, H = 100, 4, 784, 200, 256
    with gzip.open(data + "/train-images-idx3-ubyte.gz", "rb") as f:
        raw = f.read(16 + B * P)
    dt = torch.get_default_dtype()
    img = torch.tensor(list(raw[16:]), dtype=dt).view(B, P)
    x = (img >= 128).to(dt).repeat_interleave(K, 0)  # K consecutive rows per image
    shapes = [(P, H), (1, H), (H, L), (1, L), (L, H), (1, H), (H, P), (1, P)]
    params = []
    for i, (r, c) in enumerate(shapes):
        scale = 0.01 if r == 1 else 1 / math.sqrt(r)
        params.append(det(r, c, 0.5 + i, scale).to(dt).requires_grad_())
    We1, be1, We2, be2, Wd1, bd1, Wd2, bd2 = params
    adam = torch.optim.Adam(params, lr=1e-3)
    softplus = torch.nn.functional.softplus

    def forward():
        q = torch.tanh(x @ We1 + be1) @ We2 + be2
        z = torch.bernoulli(torch.sigmoid(q)).detach()
        logits = torch.tanh(z @ Wd1 + bd1) @ Wd2 + bd2
        log_px = (x * logits - softplus(logits)).sum(1)
        log_qz = (z * q - softplus(q)).sum(1)
        elbo = log_px - L * math.log(2.0) - log_qz
        cost = -elbo / (B * K)  # per-row share of -mean ELBO
        c = cost.detach().view(B, K)
        baseline = ((c.sum(1, keepdim=True) - c) / (K - 1)).view(-1)  # leave-one-out
        surrogate = cost.sum() + ((cost.detach() - baseline) * log_qz).sum()
        return elbo.mean(), surrogate

    def grads():
        elbo, surrogate = forward()
        return elbo, torch.autograd.grad(surrogate, params)

    torch.manual_seed(1)
    runs, acc = 200, [[], [], []]
    for _ in range(runs):
        elbo, g = grads()
        for k, v in enumerate((elbo, g[7], g[3])):
            acc[k].append(v.sum().item())
    check = " ".join("%s=%.6e+-%.3e" % (name, statistics.mean(a), statistics.stdev(a) / math.sqrt(runs))
                     for name, a in zip(("elbo", "grad_bd2", "grad_be2"), acc))

    def step():
        adam.zero_grad()
        _, surrogate = forward()
        surrogate.backward()
        adam.step()

    report("vae", "batch 100 x K=4", time_it(step, 3, 9, 3), check)


if __name__ == "__main__":
    if sys.argv[-1] == "float32":
        sys.argv.pop()
        torch.set_default_dtype(torch.float32)
    w = sys.argv[1]
    if w == "not_gate":
        not_gate(int(sys.argv[2]))
    elif w == "dense":
        dense()
    elif w == "vae":
        vae(sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist")
    else:
        sys.exit("unknown workload " + w)
