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


def save(fig, out):
    """Lays the figure out, writes it to out and closes it."""
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    print("wrote", out)


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
    save(fig, out)


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
    if os.path.exists(p(src, "estimators_curves.csv")):
        rows, col = read(p(src, "estimators_curves.csv"))
        names = [n for n in rows[0] if n != "step"]
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=110, sharey=True)
        for ax, t in zip(axes, ("0.45", "0.499")):
            for n in names:
                if n.startswith("t%s " % t):
                    pts = col(n)
                    ax.plot([q[0] for q in pts], [q[1] for q in pts], label=n.split(" ", 1)[1])
            ax.set_title("E[(b - %s)^2]: theta under Adam" % t)
            ax.set_xlabel("step")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("theta (lower is better)")
        axes[1].legend(fontsize=8)
        save(fig, p(dst, "estimators.png"))
    if os.path.exists(p(src, "discrete_vae_estimators.csv")):
        rows, col = read(p(src, "discrete_vae_estimators.csv"))
        names = sorted({n.split(":")[0] for n in rows[0] if ":" in n})
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=110)
        for n in names:
            for ax, what in zip(axes, ("elbo", "variance")):
                pts = col("%s:%s" % (n, what))
                ax.plot([q[0] for q in pts], [q[1] for q in pts], label=n)
        axes[0].set_title("Discrete VAE: train ELBO")
        axes[0].set_ylabel("nats per image")
        axes[1].set_title("encoder gradient variance")
        axes[1].set_yscale("log")
        for ax in axes:
            ax.set_xlabel("Adam step")
            ax.grid(alpha=0.3)
        axes[1].legend(fontsize=8)
        save(fig, p(dst, "discrete_vae_estimators.png"))
    iwae = [m for m in ("linear", "nonlinear") if os.path.exists(p(src, "discrete_vae_iwae_%s.csv" % m))]
    if iwae:
        fig, axes = plt.subplots(len(iwae), 2, figsize=(10, 3.6 * len(iwae)), dpi=110, squeeze=False)
        for row, m in zip(axes, iwae):
            rows, col = read(p(src, "discrete_vae_iwae_%s.csv" % m))
            names = list(dict.fromkeys(n.split(":")[0] for n in rows[0] if ":" in n))
            test = {r["step"]: r for r in rows}.get("-1", {})
            for n in names:
                for ax, what in zip(row, ("elbo", "variance")):
                    pts = [q for q in col("%s:%s" % (n, what)) if q[0] >= 0]
                    label = n
                    if what == "elbo" and test.get("%s:elbo" % n):
                        label += " (test %.1f)" % float(test["%s:elbo" % n])
                    ax.plot([q[0] for q in pts], [q[1] for q in pts], label=label)
            row[0].set_title("%s model: training K-sample bound (100-sample test bound)" % m)
            row[0].set_ylabel("nats per image")
            row[1].set_title("%s model: encoder gradient variance" % m)
            row[1].set_yscale("log")
            for ax in row:
                ax.set_xlabel("Adam step")
                ax.grid(alpha=0.3)
                ax.legend(fontsize=8)
        save(fig, p(dst, "discrete_vae_iwae.png"))
    if os.path.exists(p(src, "ipd_lola_correlations.csv")) and os.path.exists(p(src, "ipd_lola_training.csv")):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=110)
        _, col = read(p(src, "ipd_lola_correlations.csv"))
        for name, label, style in (("grad", "gradient", "C0-"), ("hessian", "Hessian d2V1/dth1^2", "C1-"),
                                   ("cross", "cross block d2V1/dth1 dth2", "C2-"), ("grad_plain", "gradient, no baseline", "C0:"),
                                   ("hessian_plain", "Hessian, no baseline", "C1:"), ("cross_plain", "cross, no baseline", "C2:")):
            pts = col(name)
            axes[0].plot([q[0] for q in pts], [q[1] for q in pts], style, label=label)
        axes[0].set_xscale("log")
        axes[0].set_title("IPD: sampled vs exact derivatives of V1")
        axes[0].set_xlabel("episodes")
        axes[0].set_ylabel("correlation with the exact values")
        axes[0].legend(fontsize=7)
        _, col = read(p(src, "ipd_lola_training.csv"))
        for name, label in (("naive1", "naive, agent 1"), ("naive2", "naive, agent 2"), ("lola1", "LOLA-DiCE, agent 1"),
                            ("lola2", "LOLA-DiCE, agent 2")):
            pts = col(name)
            axes[1].plot([q[0] for q in pts], [q[1] for q in pts], label=label)
        axes[1].set_title("IPD training (exact average reward per step)")
        axes[1].set_xlabel("iteration")
        axes[1].legend(fontsize=8)
        for ax in axes:
            ax.grid(alpha=0.3)
        save(fig, p(dst, "ipd_lola.png"))
    if os.path.exists(p(src, "cartpole_curves.csv")):
        with open(p(src, "cartpole_curves.csv")) as f:
            rows = list(csv.DictReader(f))
        fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
        for seed in sorted({r["seed"] for r in rows}, key=int):
            pts = [(int(r["episode"]), float(r["average100"])) for r in rows if r["seed"] == seed]
            ax.plot([q[0] for q in pts], [q[1] for q in pts], label="seed %s" % seed)
        ax.axhline(195, color="k", linestyle="--", linewidth=0.8, label="solved (195)")
        ax.axhline(22, color="grey", linestyle=":", linewidth=0.8, label="random policy (~22)")
        ax.set_title("CartPole: REINFORCE by grad with black-box rewards")
        ax.set_xlabel("episode")
        ax.set_ylabel("average return of the last 100 episodes")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        save(fig, p(dst, "cartpole.png"))
    dot = p(src, "bernoulli_not.dot")
    if os.path.exists(dot):
        subprocess.run(["dot", "-Tpng", "-Gdpi=60", dot, "-o", p(dst, "bernoulli_not_graph.png")], check=True)
        print("wrote", p(dst, "bernoulli_not_graph.png"))


if __name__ == "__main__":
    main()
