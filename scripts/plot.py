#!/usr/bin/python3
"""Renders the examples' training curves (CSV) to PNG, and a DOT graph to PNG with Graphviz.

Usage: scripts/plot.py CSV_DIR OUT_DIR     (scripts/figures.sh runs the examples and this)
Needs Debian's python3-matplotlib and graphviz.
"""
import csv
import os
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    x = list(rows[0])[0]  # the first column is the x axis (step or epoch)
    return rows, lambda name: [(float(r[x]), float(r[name])) for r in rows if r[name] != ""]


def plot(path, out, title, xlabel, series, ylabel, logy=False):
    _, col = read(path)
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    for name, label in series:
        pts = col(name)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=label)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    print("wrote", out)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    p = os.path.join
    if os.path.exists(p(src, "bernoulli_not_curves.csv")):
        plot(p(src, "bernoulli_not_curves.csv"), p(dst, "bernoulli_not.png"), "Bernoulli NOT gate",
             "Adam step", [("exact_model_EC", "exact gradient"), ("sampled_model_EC", "sampled estimator")],
             "exact E[cost]", logy=True)
    if os.path.exists(p(src, "hard_attention_curves.csv")):
        plot(p(src, "hard_attention_curves.csv"), p(dst, "hard_attention.png"), "Hard vs soft attention (held out)",
             "Adam step", [("hard_test_acc", "hard: accuracy"), ("hard_test_pick_rate", "hard: picks the relevant item"),
                           ("soft_test_acc", "soft: accuracy")], "fraction")
    if os.path.exists(p(src, "discrete_vae_curves.csv")):
        plot(p(src, "discrete_vae_curves.csv"), p(dst, "discrete_vae.png"), "Discrete VAE on Fashion-MNIST",
             "epoch", [("train_elbo", "train ELBO"), ("test_elbo", "test ELBO")], "nats per image")
    dot = p(src, "bernoulli_not.dot")
    if os.path.exists(dot):
        subprocess.run(["dot", "-Tpng", "-Gdpi=60", dot, "-o", p(dst, "bernoulli_not_graph.png")], check=True)
        print("wrote", p(dst, "bernoulli_not_graph.png"))


if __name__ == "__main__":
    main()
