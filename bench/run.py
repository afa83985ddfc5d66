#!/usr/bin/python3
"""Runs every benchmark workload beside its references (each pair in its own process),
checks that they agree, prints a table of ratios and rewrites BENCHMARKS.md.

Usage: bench/run.py BUILD_DIR   (bench/run.sh builds and calls it)
"""
import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-bench")
BENCH = os.path.join(BUILD, "bench", "bench")
TWIN = [sys.executable, os.path.join(ROOT, "bench", "torch_twin.py")]
CARTPOLE = [os.path.join(BUILD, "bench", "bench_cartpole"), "--seeds", "5", "--out", BUILD]
HMM = [os.path.join(BUILD, "bench", "bench_hmm"), "--bench", "--out", BUILD]
HMM_TWIN = [sys.executable, os.path.join(ROOT, "bench", "hmm_torch.py"), os.path.join(BUILD, "hmm_bench_data.json")]
VAE_MPI = os.path.join(BUILD, "bench", "bench_vae_mpi")
CARTPOLE_TWIN = [sys.executable, os.path.join(ROOT, "bench", "cartpole_torch.py"), "--seeds", "5"]
ENV = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
MPI_ENV = dict(ENV, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none")


# Debian's reference BLAS, which a bare install ships: PyTorch on it is the second PyTorch line
# of W3 and W4 (libblas.so.3 from this folder comes before the OpenBLAS one in the search).
REF_BLAS_DIR = "/usr/lib/x86_64-linux-gnu/blas"


def run(cmd, impl=None, env=None):
    """Runs one (workload, implementation) process; its JSON line, `impl` renamed if given."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=dict(ENV, **(env or {}))).stdout
    r = json.loads(out.strip().splitlines()[-1])
    if impl:
        r["impl"] = impl
    return r


def variants(workload, args):
    """The extra rows of W3 and W4: scg with 2 threads, PyTorch in single precision (OpenBLAS)
    and PyTorch in double on the reference BLAS."""
    rows = [([BENCH, workload, "scg"], "scg_2_threads", {"SCG_BENCH_THREADS": "2"}),
            (TWIN + [workload] + args + ["float32"], "pytorch_f32", None)]
    if os.path.exists(os.path.join(REF_BLAS_DIR, "libblas.so.3")):
        rows.append((TWIN + [workload] + args, "pytorch_reference_blas", {"LD_LIBRARY_PATH": REF_BLAS_DIR}))
    return rows


def pairs():
    for n in (2, 64, 4096):
        yield "not_gate", "N=%d" % n, [[BENCH, "not_gate", "scg", str(n)], [BENCH, "not_gate", "closed", str(n)], TWIN + ["not_gate", str(n)]]
    yield "chain", "", [[BENCH, "chain", "scg"], [BENCH, "chain", "plain"], [BENCH, "chain", "adolc"]]
    yield "dense", "", [[BENCH, "dense", "scg"], [BENCH, "dense", "eigen"], TWIN + ["dense"]] + variants("dense", [])
    yield "vae", "", [[BENCH, "vae", "scg"], TWIN + ["vae"]] + variants("vae", [])


def agree_checksums(a, b):
    fa = dict(re.findall(r"(\w+)=([-+0-9.e]+)", a))
    fb = dict(re.findall(r"(\w+)=([-+0-9.e]+)", b))
    return all(abs(float(fa[k]) - float(fb[k])) <= 1e-8 * max(1.0, abs(float(fb[k]))) for k in fb)


def agree_mc(a, b, k=4.0):
    fa = dict((n, (float(m), float(s))) for n, m, s in re.findall(r"(\w+)=([-+0-9.e]+)\+-([-+0-9.e]+)", a))
    fb = dict((n, (float(m), float(s))) for n, m, s in re.findall(r"(\w+)=([-+0-9.e]+)\+-([-+0-9.e]+)", b))
    worst = max(abs(fa[n][0] - fb[n][0]) / max(1e-300, (fa[n][1] ** 2 + fb[n][1] ** 2) ** 0.5) for n in fb)
    return worst <= k, worst


def main():
    rows, problems = [], []
    for workload, config, cmds in pairs():
        results = [run(*c) if isinstance(c, tuple) else run(c) for c in cmds]
        scg = results[0]
        for r in results:
            if r["check"].startswith("FAIL") or "FAIL" in r["check"]:
                problems.append("%s %s %s: %s" % (workload, r["impl"], r["config"], r["check"]))
        if workload == "dense":
            for r in results[1:]:
                if r["impl"] == "pytorch_f32":
                    continue
                if not agree_checksums(scg["check"], r["check"]):
                    problems.append("dense: scg and %s disagree: %s | %s" % (r["impl"], scg["check"], r["check"]))
        if workload == "vae":
            ok, worst = agree_mc(scg["check"], results[1]["check"])
            for r in results[2:]:
                if r["impl"] != "pytorch_f32" and not agree_mc(scg["check"], r["check"])[0]:
                    problems.append("vae: scg and %s disagree beyond 4 SE" % r["impl"])
            scg["check"] += " (PyTorch agrees within %.1f SE)" % worst
            if not ok:
                problems.append("vae: scg and PyTorch disagree beyond 4 SE (%.1f)" % worst)
        for r in results:
            r["ratio"] = r["median_s"] / scg["median_s"]  # > 1: scg is faster
            rows.append(r)
        print("%-9s %-22s" % (workload, scg["config"]) + "  ".join(
            "%s %.3g s (%.2fx)" % (r["impl"], r["median_s"], r["ratio"]) for r in results), flush=True)
    # Per-node estimators on the VAE step: time against the score estimator with RLOO (vae scg).
    base = next(r for r in rows if r["workload"] == "vae" and r["impl"] == "scg")
    for workload in ("vae_disarm", "vae_relax"):
        r = run([BENCH, workload, "scg"])
        r["ratio"] = r["median_s"] / base["median_s"]
        r["impl"] = "scg"
        rows.append(r)
        print("%-9s %-22s scg %.3g s (%.2fx the RLOO step)" % (workload, r["config"], r["median_s"], r["ratio"]), flush=True)
    # Multi-sample objectives: the VIMCO step against the plain score step on the K-sample bound,
    # and the unordered-set step against leave-one-out at equal evaluations of the cost.
    for workload, cmd, against in (("vae_iwae_score", [BENCH, "vae_iwae_score", "scg"], None),
                                   ("vae_iwae_vimco", [BENCH, "vae_iwae_vimco", "scg"], "vae_iwae_score"),
                                   ("categorical_loo", [BENCH, "categorical", "loo"], None),
                                   ("categorical_unordered_set", [BENCH, "categorical", "unordered_set"], "categorical_loo")):
        r = run(cmd)
        r["impl"] = "scg"
        ref = next((x for x in rows if x["workload"] == against), r)
        r["ratio"] = r["median_s"] / ref["median_s"]
        r["against"] = against
        rows.append(r)
        print("%-9s %-22s scg %.3g s (%.2fx %s)" % (workload, r["config"], r["median_s"], r["ratio"], against or "itself"), flush=True)
    if not agree_mc(by_workload(rows, "categorical_loo")["check"], by_workload(rows, "categorical_unordered_set")["check"])[0]:
        problems.append("categorical: the unordered-set and leave-one-out means disagree beyond 4 SE")
    scaling = []
    for case, ns in (("running_sum", (1000, 10000, 100000)), ("chain", (10000, 100000, 1000000))):
        for n in ns:
            r = run([BENCH, "scale", case, str(n)])
            scaling.append(r)
            print("scale     %-12s n=%-8d grad %.3f s  run %.3f s  dot %.3f s  peak %.1f MiB" % (
                case, n, r["grad_s"], r["run_s"], r["dot_s"], r["peak_rss_kib"] / 1024), flush=True)
    # W5: exact HMM log-likelihood + gradient by expectation, vs hand-written and PyTorch.
    hmm = run(HMM)
    hmm_twin = run(HMM_TWIN)
    if abs(hmm["ll"] - hmm_twin["ll"]) > 1e-9 * abs(hmm_twin["ll"]):
        problems.append("hmm: scg log-likelihood %.12f, PyTorch %.12f" % (hmm["ll"], hmm_twin["ll"]))
    hmm["pytorch_s"] = hmm_twin["median_s"]
    print("hmm       16 seqs x T=100       scg %.3g s, forward-backward by hand %.3g s (scg %.1fx), PyTorch %.3g s (%.2fx); build T=400/T=100 %.2f" % (
        hmm["scg_ll_grad_s"], hmm["forward_backward_s"], hmm["ratio_scg_over_fb"], hmm["pytorch_s"],
        hmm["pytorch_s"] / hmm["scg_ll_grad_s"], hmm["scaling_ratio"]), flush=True)
    print("hmm post  16 seqs x T=100       mode %.3g ms (%.2fx Viterbi), draw %.3g ms (%.2fx scg ll, %.2fx FFBS), "
          "marginals %.3g ms (%.2fx scg ll+grad)" % (
              1e3 * hmm["mode_s"], hmm["mode_over_viterbi"], 1e3 * hmm["sample_s"], hmm["sample_over_ll"],
              hmm["sample_over_ffbs"], 1e3 * hmm["marginals_s"], hmm["marginals_over_llgrad"]), flush=True)
    if not hmm["posterior_ok"]:
        problems.append("hmm: posterior queries disagree with the hand-written references")
    # W6: CartPole by policy gradient, the example against its PyTorch twin (same loop).
    cartpole = {"scg": run(CARTPOLE), "pytorch": run(CARTPOLE_TWIN)}
    for impl, r in cartpole.items():
        if not r["ok"]:
            problems.append("cartpole %s: solved %d of %d seeds" % (impl, r["solved"], r["seeds"]))
    print("cartpole  5 seeds               scg %.0f us/episode, PyTorch %.0f us/episode (%.2fx); median episodes to solve %d vs %d" % (
        cartpole["scg"]["us_per_episode"], cartpole["pytorch"]["us_per_episode"],
        cartpole["pytorch"]["us_per_episode"] / cartpole["scg"]["us_per_episode"],
        cartpole["scg"]["median_episodes_to_solve"], cartpole["pytorch"]["median_episodes_to_solve"]), flush=True)
    # Scale-out: the discrete VAE on 1 and 2 MPI ranks of one thread, and 1 rank of 2 threads,
    # same global batch.
    mpi = []
    for n, threads in ((1, 1), (2, 1), (1, 2)):
        out = os.path.join(BUILD, "mpi%dx%d" % (n, threads))
        os.makedirs(out, exist_ok=True)
        cmd = ["mpirun", "--oversubscribe", "-np", str(n), VAE_MPI, "--epochs", "1", "--train-images", "12000",
               "--test-images", "1000", "--threads", str(threads), "--out", out]
        res = subprocess.run(cmd, check=True, capture_output=True, text=True, env=MPI_ENV).stdout
        mpi.append(json.loads(res.strip().splitlines()[-1]))
        mpi[-1]["threads"] = threads
        print("vae mpi   %d rank(s) x %d thread(s) %.0f images/s, allreduce %.1f%% of the training time" % (
            n, threads, mpi[-1]["train_images_per_s"], 100 * mpi[-1]["allreduce_share"]), flush=True)
    write_markdown(rows, problems, scaling, cartpole, hmm, mpi)
    if problems:
        print("\n".join(["PROBLEMS:"] + problems))
        return 1
    return 0


def build_info():
    """How bench was built, as scg::build_info() reports it (bench --build-info)."""
    try:
        return subprocess.run([BENCH, "--build-info"], check=True, capture_output=True, text=True).stdout.strip()
    except (subprocess.CalledProcessError, OSError):
        return "build info unavailable"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d cores, %s" % (cpu, os.cpu_count() or 0, platform.platform())


def scaling_lines(scaling):
    lines = ["", "## Scaling", "",
             "One-shot costs of graphs grown by loops (`bench scale CASE N`, one process each): `grad`",
             "once, the first run (plan compilation included), `write_dot` into memory. running_sum: a",
             "running sum of N Bernoulli terms (each term weighted by its own choice); chain: N",
             "multiplications above one Bernoulli, with `grad` of `grad`. Linear growth shows as a",
             "constant time per node.", "",
             "| case | N | nodes | grad | first run | write_dot | per node (grad + run + dot) | peak RSS |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in scaling:
        total = r["grad_s"] + r["run_s"] + r["dot_s"]
        lines.append("| %s | %d | %d | %.3f s | %.3f s | %.3f s | %.2f us | %.1f MiB |" % (
            r["case"], r["n"], r["nodes"], r["grad_s"], r["run_s"], r["dot_s"], 1e6 * total / r["nodes"],
            r["peak_rss_kib"] / 1024))
    return lines


def cartpole_lines(cartpole):
    lines = ["", "## Policy gradient: CartPole (W6)", "",
             "`examples/cartpole.cpp` (built as `bench_cartpole` with these flags) and its PyTorch twin",
             "`bench/cartpole_torch.py` (the same loop: policy 4 -> 32 tanh -> 2, 8 episodes per batch,",
             "reward-to-go with a leave-one-out baseline, Adam 0.01; the surrogate by hand; one thread),",
             "5 seeds each, every seed until solved (average return >= 195 over 100 consecutive episodes).",
             "Time per episode covers acting (the policy run once per step), the environment and the",
             "update. **Ratio = PyTorch time / scg time.**", "",
             "| implementation | seeds solved | median episodes to solve | episodes | total time | per episode | ratio |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    base = cartpole["scg"]["us_per_episode"]
    for impl, r in cartpole.items():
        lines.append("| %s | %d of %d | %d | %d | %.2f s | %.0f us | %s |" % (
            impl, r["solved"], r["seeds"], r["median_episodes_to_solve"], r["episodes"], r["seconds"],
            r["us_per_episode"], "1 (scg)" if impl == "scg" else "%.2f" % (r["us_per_episode"] / base)))
    return lines


def by_workload(rows, workload):
    return next(r for r in rows if r["workload"] == workload)


def hmm_lines(h):
    return ["", "## Exact marginalization: HMM (W5)", "",
            "`examples/hmm.cpp --bench` (built as `bench_hmm`): the exact log-likelihood of 16 sequences",
            "of T = 100 (k = 4 states, 6 symbols) and its gradient, by `log(expectation(exp(loglik)))`",
            "and `grad`, against a hand-written scaled forward-backward in C++ (value and analytic",
            "gradient) and a vectorized scaled forward algorithm with autograd in PyTorch",
            "(`bench/hmm_torch.py`, one thread; the log-likelihoods agree to 1e-9). Scaling: graph",
            "building (expectation and grad) plus the first run, one sequence, T = 400 over T = 100.", "",
            "| implementation | median time per log-likelihood + gradient | ratio (ref/scg) |",
            "| --- | --- | --- |",
            "| scg | %.3g ms | 1 (scg) |" % (1e3 * h["scg_ll_grad_s"]),
            "| hand-written forward-backward (C++) | %.3g ms | %.3f |" % (1e3 * h["forward_backward_s"], h["forward_backward_s"] / h["scg_ll_grad_s"]),
            "| PyTorch forward algorithm + autograd | %.3g ms | %.2f |" % (1e3 * h["pytorch_s"], h["pytorch_s"] / h["scg_ll_grad_s"]),
            "", "Build + first run: T = 100 %.1f ms, T = 400 %.1f ms (ratio %.2f; linear is 4)." % (
                1e3 * h["build_run_T100_s"], 1e3 * h["build_run_T400_s"], h["scaling_ratio"])] + hmm_posterior_lines(h)


def hmm_posterior_table(h):
    """The posterior queries' table: scg's run of each query against its references."""
    ms = lambda k: "%.3g ms" % (1e3 * h[k])
    # The ratios are bench_hmm's medians over pairs of batches run in turn, not the quotient of
    # the two median times (taken apart, they see different minutes of a shared machine).
    rows = [("`posterior_mode` (Viterbi path)", "mode_s", "hand-written Viterbi (log space)", "viterbi_s",
             "mode_over_viterbi"),
            ("`posterior_sample` (one joint draw)", "sample_s", "hand-written forward-filter backward-sample", "ffbs_s",
             "sample_over_ffbs"),
            ("`posterior_sample` (one joint draw)", "sample_s", "scg log-likelihood run, no gradient", "scg_ll_s",
             "sample_over_ll"),
            ("`posterior_sample` (one joint draw)", "sample_s", "hand-written scaled forward (log-likelihood only)",
             "forward_only_s", "sample_over_forward"),
            ("`posterior_marginals`", "marginals_s", "scg log-likelihood + gradient run", "scg_ll_grad_s",
             "marginals_over_llgrad"),
            ("`posterior_marginals`", "marginals_s", "hand-written forward-backward marginals", "fb_marginals_s",
             "marginals_over_fb_marginals")]
    return ["| query | scg time | reference | reference time | ratio (scg/ref) |",
            "| --- | --- | --- | --- | --- |"] + [
            "| %s | %s | %s | %s | %.2f |" % (q, ms(k), ref, ms(rk), h[r]) for q, k, ref, rk, r in rows]


def hmm_posterior_lines(h):
    return ["", "### Posterior queries", "",
            "`posterior_mode`, `posterior_sample` and `posterior_marginals` of log p(y | z) over the 100",
            "hidden choices (one row per sequence), same sequences and parameters; the nodes are built",
            "once and only `Session::run` is timed. Each is checked first against a hand-written C++",
            "reference: the mode path against a log-space Viterbi (%s)," % (
                "the same path at every step" if h["mode_differing_steps"] == 0 else
                "%d of %d steps differ, in %d sequences, all exact ties: their log p(y, z) differ by %.1g, a "
                "cycle of states moved along a run of one symbol" % (
                    h["mode_differing_steps"], h["sequences"] * h["T"], h["mode_differing_sequences"],
                    h["mode_log_joint_gap"])),
            "the marginals against forward-backward's (largest difference %.1e), and the" % h["marginals_max_error"],
            "per-step frequencies of 200 scg draws and of 200 hand-written forward-filter backward-sample",
            "draws (std::mt19937_64) against the marginals (within %.1f and %.1f SE; limit 6). **Ratio =" % (
                h["draws_check_se_scg"], h["draws_check_se_ffbs"]),
            "scg time / reference time** (below 1, scg is faster), the median over 9 pairs of batches",
            "of 0.1 s run in turn (times: the medians of each side).", ""] + hmm_posterior_table(h)


def hmm_goals(h):
    """The W5 rows of the goals table: (goal, met, measured)."""
    return [
        ("W5: HMM log-likelihood + gradient within 3x of the hand-written forward-backward",
         h["ratio_scg_over_fb"] <= 3, "scg takes %.1fx its time (PyTorch takes %.2fx scg's)" % (
             h["ratio_scg_over_fb"], h["pytorch_s"] / h["scg_ll_grad_s"])),
        ("W5: build + first run grows linearly (T = 400 vs 100)", h["scaling_ratio"] <= 5,
         "%.2fx for 4x the length" % h["scaling_ratio"]),
        ("W5: posterior mode within 2x the hand-written Viterbi", h["mode_over_viterbi"] <= 2,
         "scg takes %.2fx its time" % h["mode_over_viterbi"]),
        ("W5: one posterior draw within 3x one exact log-likelihood evaluation (scg's log-likelihood run, no gradient)",
         h["sample_over_ll"] <= 3, "%.2fx (%.2fx the hand-written forward, %.2fx the hand-written FFBS)" % (
             h["sample_over_ll"], h["sample_over_forward"], h["sample_over_ffbs"])),
        ("W5: posterior marginals within 1.5x the log-likelihood + gradient run", h["marginals_over_llgrad"] <= 1.5,
         "%.2fx (%.2fx the hand-written forward-backward marginals)" % (
             h["marginals_over_llgrad"], h["marginals_over_fb_marginals"])),
    ]


def mpi_lines(mpi):
    one = mpi[0]
    return ["", "## Scale-out: the discrete VAE over MPI ranks and threads", "",
            "`mpirun -np N bench_vae_mpi --epochs 1 --train-images 12000 --test-images 1000 --threads T` (the",
            "discrete VAE example with scg::mpi; the same global batch of 100 x K = 4, each rank 1/N of it;",
            "gradients averaged by one allreduce per step; T threads in each rank's session), on this",
            "machine's cores.", "",
            "| ranks | threads | train images/s | speed-up | allreduce share of training time | final test ELBO |",
            "| --- | --- | --- | --- | --- | --- |"] + [
            "| %d | %d | %.0f | %.2fx | %.1f%% | %.1f |" % (r["ranks"], r["threads"], r["train_images_per_s"],
                                                    r["train_images_per_s"] / one["train_images_per_s"],
                                                    100 * r["allreduce_share"], r["final_test_elbo"]) for r in mpi]


def write_markdown(rows, problems, scaling, cartpole, hmm, mpi):
    by = {}
    for r in rows:
        by.setdefault((r["workload"], r["config"]), {})[r["impl"]] = r
    lines = [
        "# Benchmarks",
        "",
        "Written by `bash bench/run.sh` (do not edit by hand). %s UTC on %s." % (
            datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), machine()),
        "",
        "Every workload first checks that its result agrees with its references (exactly, or",
        "within Monte-Carlo error), then times median seconds per call over repeated blocks after",
        "warm-up. Each (workload, implementation) runs in its own process, so peak RSS is its own.",
        "scg and the C++ references are built as the README builds them: Release, g++, kernels for",
        "this machine (SCG_ARCH=native, the default) and products of all dimensions >= 16 on OpenBLAS",
        "(SCG_BLAS); %s. PyTorch is Debian's python3-torch on the CPU with one thread," % build_info(),
        "on Debian's OpenBLAS unless the row says otherwise (`pytorch_reference_blas`: Debian's",
        "reference BLAS; `pytorch_f32`: single precision). `scg_2_threads`: SessionOptions::threads",
        "= 2. **Ratio = reference time / scg time** (one thread): above 1, scg is faster.",
        "",
        "| workload | config | implementation | median time | ratio (ref/scg) | peak RSS | allocs/call | check |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (w, c), impls in by.items():
        for impl, r in impls.items():
            allocs = "-" if r["allocs_per_call"] is None else "%.2f" % r["allocs_per_call"]
            lines.append("| %s | %s | %s | %.3g s | %s | %.1f MiB | %s | %s |" % (
                w, c, impl, r["median_s"],
                ("%.2f x RLOO step" % r["ratio"]) if w in ("vae_disarm", "vae_relax") else
                ("%.2f x %s" % (r["ratio"], r["against"])) if r.get("against") else
                "1 (scg)" if impl == "scg" else "%.2f" % r["ratio"],
                r["peak_rss_kib"] / 1024, allocs, r["check"].replace("|", "/")))
    ratio = lambda w, c, impl: by[(w, c)][impl]["ratio"]
    rss = lambda w, c, impl: by[(w, c)][impl]["peak_rss_kib"] / 1024
    goals = [
        ("W1: >= 20x PyTorch's estimates/s at N = 2", ratio("not_gate", "N=2", "pytorch") >= 20,
         "%.0fx" % ratio("not_gate", "N=2", "pytorch")),
        ("W1: within 1.5x of the closed form at N = 4096", 1 / ratio("not_gate", "N=4096", "closed") <= 1.5,
         "scg takes %.1fx the closed form's time" % (1 / ratio("not_gate", "N=4096", "closed"))),
        ("W2: value+gradient within 4x of the plain function", 1 / ratio("chain", "100000 ops", "plain") <= 4,
         "%.2fx" % (1 / ratio("chain", "100000 ops", "plain"))),
        ("W2: faster than ADOL-C", ratio("chain", "100000 ops", "adolc") > 1,
         "ADOL-C takes %.2fx scg's time" % ratio("chain", "100000 ops", "adolc")),
        ("W2: peak memory within 3x of ADOL-C's", rss("chain", "100000 ops", "scg") <= 3 * rss("chain", "100000 ops", "adolc"),
         "%.1f MiB vs %.1f MiB (%.1fx)" % (rss("chain", "100000 ops", "scg"), rss("chain", "100000 ops", "adolc"),
                                          rss("chain", "100000 ops", "scg") / rss("chain", "100000 ops", "adolc"))),
        ("W3: within 1.2x of hand-written Eigen", 1 / ratio("dense", "X 64x512, W 512x512", "eigen") <= 1.2,
         "%.2fx" % (1 / ratio("dense", "X 64x512, W 512x512", "eigen"))),
        ("W3: faster than PyTorch", ratio("dense", "X 64x512, W 512x512", "pytorch") > 1,
         "PyTorch takes %.2fx scg's time" % ratio("dense", "X 64x512, W 512x512", "pytorch")),
        ("W4: faster than PyTorch", ratio("vae", "batch 100 x K=4", "pytorch") > 1,
         "PyTorch takes %.2fx scg's time" % ratio("vae", "batch 100 x K=4", "pytorch")),
        ("W3: 2 threads at least 1.8x as fast as 1", 1 / ratio("dense", "X 64x512, W 512x512", "scg_2_threads") >= 1.8,
         "%.2fx" % (1 / ratio("dense", "X 64x512, W 512x512", "scg_2_threads"))),
        ("W4: 2 threads at least 1.6x as fast as 1", 1 / ratio("vae", "batch 100 x K=4", "scg_2_threads") >= 1.6,
         "%.2fx" % (1 / ratio("vae", "batch 100 x K=4", "scg_2_threads"))),
        ("W4: a DisARM step within 1.2x of the RLOO step", ratio("vae_disarm", "batch 100 x K=4", "scg") <= 1.2,
         "%.2fx (RELAX with its control variate trained each step: %.2fx)" % (
             ratio("vae_disarm", "batch 100 x K=4", "scg"), ratio("vae_relax", "batch 100 x K=4", "scg"))),
    ]
    goals += [
        ("Multi-sample: a VIMCO step within 1.2x the plain score step (K = 4)",
         ratio("vae_iwae_vimco", "batch 100 x K=4", "scg") <= 1.2, "%.2fx" % ratio("vae_iwae_vimco", "batch 100 x K=4", "scg")),
        ("Multi-sample: an unordered-set step within 1.5x leave-one-out at equal evaluations",
         ratio("categorical_unordered_set", "100 x 16 states, 4 evaluations", "scg") <= 1.5,
         "%.2fx" % ratio("categorical_unordered_set", "100 x 16 states, 4 evaluations", "scg")),
    ]
    goals += hmm_goals(hmm)
    sp = mpi[1]["train_images_per_s"] / mpi[0]["train_images_per_s"]
    goals.append(("MPI: 2 ranks train the VAE at least 1.6x as fast as 1", sp >= 1.6,
                  "%.2fx (allreduce %.1f%% of the 2-rank training time)" % (sp, 100 * mpi[1]["allreduce_share"])))
    cp = cartpole["pytorch"]["us_per_episode"] / cartpole["scg"]["us_per_episode"]
    goals.append(("W6: CartPole faster per episode than PyTorch, both solving", cp > 1 and cartpole["scg"]["ok"] and cartpole["pytorch"]["ok"],
                  "PyTorch takes %.2fx scg's time per episode" % cp))
    lines += ["", "## Goals", "", "| goal | met | measured |", "| --- | --- | --- |"]
    lines += ["| %s | %s | %s |" % (g, "yes" if ok else "**no**", m) for g, ok, m in goals]
    lines += hmm_lines(hmm)
    lines += mpi_lines(mpi)
    lines += cartpole_lines(cartpole)
    lines += scaling_lines(scaling)
    if problems:
        lines += ["", "## Problems", ""] + ["- " + p for p in problems]
    notes = os.path.join(ROOT, "bench", "NOTES.md")
    if os.path.exists(notes):
        lines += ["", open(notes).read().rstrip()]
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote BENCHMARKS.md")


if __name__ == "__main__":
    sys.exit(main())
