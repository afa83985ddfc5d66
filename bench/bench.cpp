// scg benchmarks: one (workload, implementation) per process, so peak memory is its own.
// Prints one JSON line; bench/run.py runs every pair, the PyTorch twins beside them, and
// writes BENCHMARKS.md.
//
//   bench not_gate {scg|closed} N      W1: NOT-gate gradient estimates, N rows
//   bench chain {scg|plain|adolc}      W2: ~10^5 scalar ops, value + gradient
//   bench dense {scg|eigen}            W3: tanh(X W + b), W 512x512, 64 rows, value + gradient
//   bench vae {scg} [data dir]         W4: one discrete-VAE training step, batch 100 x K = 4
#include <adolc/adolc.h>
#include <zlib.h>

#include <Eigen/Dense>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_01.hpp>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <sstream>
#include <scg/scg.hpp>
#include <string>

#include "../examples/vae_model.hpp"
#include "common.hpp"

#include "../tests/stochastic/not_gate_exact.hpp"
#include "../tests/alloc/count_malloc.hpp"  // counts heap allocations (malloc interposed)
long bench::allocations() { return scg_alloc::allocations(); }

namespace {

// ============================ W1: the NOT gate ============================
using namespace not_gate_exact;  // kW0, kB0, kW1, kB1, sig
// Exact gradient of E[cost] (cost averaged over copies = the seed's sum over x).
std::vector<double> not_exact() { return not_gate_exact::grad(); }

// Mean of `draw` over runs vs the exact gradient: "ok (max k SE)" or "FAIL ...".
template <class Draw>
std::string check_mean(Draw&& draw, int runs) {
  const auto exact = not_exact();
  double m[4] = {}, m2[4] = {};
  for (int r = 0; r < runs; ++r) {
    const auto g = draw();
    for (int i = 0; i < 4; ++i) m[i] += g[i], m2[i] += g[i] * g[i];
  }
  double worst = 0;
  for (int i = 0; i < 4; ++i) {
    const double mean = m[i] / runs, se = std::sqrt(std::max(0.0, m2[i] / runs - mean * mean) / runs);
    worst = std::max(worst, std::fabs(mean - exact[i]) / (se + 1e-300));
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s: mean within %.1f SE of exact (%d runs)", worst < 4.5 ? "ok" : "FAIL", worst, runs);
  return buf;
}

int not_gate(const std::string& impl, int n) {
  const int copies = n / 2;
  const int runs = 20000;
  if (impl == "scg") {
    scg::Graph g;
    auto w0 = g.parameter("w0", kW0), b0 = g.parameter("b0", kB0), w1 = g.parameter("w1", kW1), b1 = g.parameter("b1", kB1);
    scg::Tensor xs(n, 1);
    for (int r = copies; r < n; ++r) xs(r, 0) = 1;
    auto x = g.constant(xs);
    auto y = scg::bernoulli(w0 * x + b0) * scg::sigmoid(w1 * x + b1);
    auto cost = scg::sum(scg::square((1.0 - x) - y)) / double(copies);
    auto grads = scg::grad(cost, {w0, b0, w1, b1});
    scg::Session s(g, 1, bench::session_options());
    const std::string check = check_mean([&] {
      const auto& v = s.run(grads);
      return std::vector<double>{v[0].item(), v[1].item(), v[2].item(), v[3].item()};
    }, runs);
    const auto t = bench::time_it([&] { s.run(grads); }, 100, 15, std::max(1, 20000 / n));
    bench::report("not_gate", "scg", "N=" + std::to_string(n), t, check);
    return 0;
  }
  if (impl == "closed") {
    // The same estimator written out by hand: per row, pathwise terms for w1, b1 and the
    // row's own cost times its score for w0, b0.
    // x is read from data, as scg reads it: computed from r, the compiler would split the loop
    // at r = copies and hoist both sigmoids out of each half, which no real input allows.
    boost::random::mt19937_64 eng(1);
    boost::random::uniform_01<double> u;
    std::vector<double> xs(n, 0.0);
    for (int r = copies; r < n; ++r) xs[r] = 1.0;
    double gr[4];
    auto estimate = [&] {
      gr[0] = gr[1] = gr[2] = gr[3] = 0;
      for (int r = 0; r < n; ++r) {
        const double x = xs[r], t = 1 - x;
        const double p = sig(kW0 * x + kB0), s = sig(kW1 * x + kB1);
        const double b = u(eng) < p ? 1.0 : 0.0, e = t - b * s, c = e * e;
        const double score = b - p, dy = -2.0 * e * b * s * (1 - s);
        gr[0] += c * score * x, gr[1] += c * score, gr[2] += dy * x, gr[3] += dy;
      }
      for (double& v : gr) v /= copies;
    };
    const std::string check = check_mean([&] { estimate(); return std::vector<double>(gr, gr + 4); }, runs);
    const auto t = bench::time_it(estimate, 100, 15, std::max(1, 20000 / n));
    bench::report("not_gate", "closed", "N=" + std::to_string(n), t, check);
    return 0;
  }
  return 2;
}

// ============================ W2: a long scalar chain ============================
constexpr int kBlocks = 20000;  // 5 ops a block: add, mul, tanh, sigmoid-mul, exp (10^5 ops)

// sigmoid in each system's own way: scg has the op, the others spell it out.
scg::Var sigm(const scg::Var& x) { return scg::sigmoid(x); }
template <class T>
T sigm(const T& x) { return 1.0 / (1.0 + exp(-x)); }

template <class T>
T chain(T x, T a) {
  for (int i = 0; i < kBlocks; ++i) {
    x = x + a;
    x = x * 0.9;
    x = tanh(x);
    x = x * sigm(x);
    x = exp(x * -0.5);
  }
  return x;
}

// Forward-mode dual number: the exact derivative reference for W2.
struct Dual {
  double v, d;
};
Dual operator+(Dual a, Dual b) { return {a.v + b.v, a.d + b.d}; }
Dual operator*(Dual a, double c) { return {a.v * c, a.d * c}; }
Dual operator*(Dual a, Dual b) { return {a.v * b.v, a.d * b.v + a.v * b.d}; }
Dual operator-(Dual a) { return {-a.v, -a.d}; }
Dual operator+(double c, Dual a) { return {c + a.v, a.d}; }
Dual operator/(double c, Dual a) { return {c / a.v, -c * a.d / (a.v * a.v)}; }
Dual tanh(Dual a) { const double t = std::tanh(a.v); return {t, (1 - t * t) * a.d}; }
Dual exp(Dual a) { const double e = std::exp(a.v); return {e, e * a.d}; }

std::string check_grad(double gx, double ga) {
  const Dual rx = chain(Dual{0.5, 1}, Dual{0.3, 0}), ra = chain(Dual{0.5, 0}, Dual{0.3, 1});
  // d/dx decays through 20000 contracting blocks (to 0 in double); compare relative to the
  // larger of the two derivatives.
  const double scale = std::max(std::fabs(rx.d), std::fabs(ra.d));
  const double err = std::max(std::fabs(gx - rx.d), std::fabs(ga - ra.d)) / scale;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s: gradient within %.1e of forward-mode duals", err < 1e-9 ? "ok" : "FAIL", err);
  return buf;
}

int chain_bench(const std::string& impl) {
  const std::string config = std::to_string(5 * kBlocks) + " ops";
  if (impl == "plain") {
    volatile double sink = 0;
    double x0 = 0.5;
    const auto t = bench::time_it([&] { sink = sink + chain(x0, 0.3); }, 3, 15, 5);
    bench::report("chain", "plain", config, t, "reference (value only)");
    return 0;
  }
  if (impl == "scg") {
    scg::Graph g;
    auto x = g.parameter("x", 0.5), a = g.parameter("a", 0.3);
    auto y = chain(x, a);
    auto grads = scg::grad(y, {x, a});
    std::vector<scg::Var> targets{y, grads[0], grads[1]};
    scg::Session s(g, 1, bench::session_options());
    const auto& v = s.run(targets);
    const std::string check = check_grad(v[1].item(), v[2].item());
    const auto t = bench::time_it([&] { s.run(targets); }, 3, 15, 5);
    bench::report("chain", "scg", config, t, check);
    return 0;
  }
  if (impl == "adolc") {
    const short tag = 1;
    double xs[2] = {0.5, 0.3}, yv = 0, gr[2];
    trace_on(tag);
    adouble ax, aa;
    ax <<= xs[0];
    aa <<= xs[1];
    adouble ay = chain(ax, aa);
    ay >>= yv;
    trace_off();
    gradient(tag, 2, xs, gr);
    const std::string check = check_grad(gr[0], gr[1]);
    // gradient() replays the tape: a forward sweep (the value) and a reverse sweep.
    const auto t = bench::time_it([&] { gradient(tag, 2, xs, gr); }, 3, 15, 5);
    bench::report("chain", "adolc", config, t, check);
    return 0;
  }
  return 2;
}

// ============================ W3: a dense layer ============================
constexpr int kRows = 64, kDim = 512;

Eigen::MatrixXd det_matrix(int r, int c, double salt, double scale) {
  Eigen::MatrixXd m(r, c);
  for (int i = 0; i < r; ++i)
    for (int j = 0; j < c; ++j) m(i, j) = scale * bench::det(i, j, salt);
  return m;
}

std::string checksum(double value, const Eigen::MatrixXd& gX, const Eigen::MatrixXd& gW, const Eigen::MatrixXd& gb) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "value=%.12e gX=%.12e gW=%.12e gb=%.12e", value, gX.sum(), gW.sum(), gb.sum());
  return buf;
}

int dense(const std::string& impl) {
  const Eigen::MatrixXd X = det_matrix(kRows, kDim, 0.1, 1.0), W = det_matrix(kDim, kDim, 0.2, 0.05),
                        b = det_matrix(1, kDim, 0.3, 0.1);
  const std::string config = "X 64x512, W 512x512";
  // value = sum(tanh(X W + b)); gradients with respect to X, W and b.
  Eigen::MatrixXd Y(kRows, kDim), D(kRows, kDim), gX(kRows, kDim), gW(kDim, kDim), gb(1, kDim);
  double value = 0;
  auto hand = [&] {
    Y.noalias() = X * W;
    Y.rowwise() += b.row(0);
    Y = Y.array().tanh();
    value = Y.sum();
    D = 1.0 - Y.array().square();
    gW.noalias() = X.transpose() * D;
    gX.noalias() = D * W.transpose();
    gb = D.colwise().sum();
  };
  hand();
  if (impl == "eigen") {
    const std::string check = checksum(value, gX, gW, gb);
    const auto t = bench::time_it(hand, 5, 15, 10);
    bench::report("dense", "eigen", config, t, check);
    return 0;
  }
  if (impl == "scg") {
    scg::Graph g;
    auto x = g.parameter("X", scg::Tensor(X)), w = g.parameter("W", scg::Tensor(W)), bb = g.parameter("b", scg::Tensor(b));
    auto cost = scg::sum(scg::tanh(scg::matmul(x, w) + bb));
    auto grads = scg::grad(cost, {x, w, bb});
    std::vector<scg::Var> targets{cost, grads[0], grads[1], grads[2]};
    scg::Session s(g, 1, bench::session_options());
    const auto& v = s.run(targets);
    const double err = std::max({std::fabs(v[0].item() - value) / std::fabs(value),
                                 (v[1].matrix() - gX).norm() / gX.norm(), (v[2].matrix() - gW).norm() / gW.norm(),
                                 (v[3].matrix() - gb).norm() / gb.norm()});
    std::string check = checksum(v[0].item(), v[1].matrix(), v[2].matrix(), v[3].matrix());
    check += err < 1e-12 ? " (matches hand-written Eigen)" : " FAIL: differs from hand-written Eigen";
    const auto t = bench::time_it([&] { s.run(targets); }, 5, 15, 10);
    bench::report("dense", "scg", config, t, check);
    return 0;
  }
  return 2;
}

// ============================ W4: a discrete-VAE training step ============================
int vae_step(const std::string& impl, const std::string& data, const std::string& estimator = "score",
             const std::string& objective = "elbo") {
  if (impl != "scg") return 2;
  constexpr int B = 100, K = 4;
  // The first 100 training images, binarized at 128, each repeated K times.
  gzFile f = gzopen((data + "/train-images-idx3-ubyte.gz").c_str(), "rb");
  if (!f) { std::fprintf(stderr, "bench: cannot open %s/train-images-idx3-ubyte.gz\n", data.c_str()); return 3; }
  std::vector<unsigned char> img(16 + B * vae::kPixels);
  const int got = gzread(f, img.data(), static_cast<unsigned>(img.size()));
  gzclose(f);
  if (got != static_cast<int>(img.size())) { std::fprintf(stderr, "bench: short read\n"); return 3; }
  scg::Tensor xb(B * K, vae::kPixels);
  for (int i = 0; i < B; ++i)
    for (int k = 0; k < K; ++k)
      for (int p = 0; p < vae::kPixels; ++p) xb(i * K + k, p) = img[16 + i * vae::kPixels + p] >= 128 ? 1.0 : 0.0;
  scg::Graph g;
  vae::Options opts;
  opts.estimator = estimator;
  opts.objective = objective;
  const vae::Model m = vae::build(g, B, K, 1, opts);
  // Parameters from the formula the PyTorch twin uses too: identical starting points.
  for (std::size_t i = 0; i < m.params.size(); ++i) {
    const scg::Var& p = m.params[i];
    const double scale = p.rows() == 1 ? 0.01 : 1.0 / std::sqrt(static_cast<double>(p.rows()));
    p.set_value(scg::Tensor(det_matrix(static_cast<int>(p.rows()), static_cast<int>(p.cols()), 0.5 + i, scale)));
  }
  scg::Session s(g, 1, bench::session_options());
  std::vector<scg::Feed> feeds{{m.x, xb}};
  // Check: Monte-Carlo means of the ELBO and of two gradient sums (decoder bias: pathwise;
  // encoder bias: score function), compared by run.py with the twin's within their errors.
  std::vector<scg::Var> probe{m.mean_elbo, m.grads[7], m.grads[3]};
  double mean[3] = {}, sq[3] = {};
  const int runs = 200;
  for (int r = 0; r < runs; ++r) {
    const auto& v = s.run(probe, feeds);
    for (int j = 0; j < 3; ++j) {
      const double x = v[j].matrix().sum();
      mean[j] += x, sq[j] += x * x;
    }
  }
  char check[256];
  int off = 0;
  const char* names[3] = {"elbo", "grad_bd2", "grad_be2"};
  for (int j = 0; j < 3; ++j) {
    const double mu = mean[j] / runs, se = std::sqrt(std::max(0.0, sq[j] / runs - mu * mu) / runs);
    off += std::snprintf(check + off, sizeof check - off, "%s%s=%.6e+-%.3e", j ? " " : "", names[j], mu, se);
  }
  std::vector<scg::Var> targets(m.grads);
  targets.insert(targets.end(), m.control_grads.begin(), m.control_grads.end());  // relax: train c too
  std::vector<scg::Var> all_params(m.params);
  all_params.insert(all_params.end(), m.control.begin(), m.control.end());
  scg::Adam adam(all_params, 1e-3);
  std::vector<scg::Tensor> gr;
  gr.reserve(m.params.size());
  for (const auto& p : all_params) gr.emplace_back(p.shape());
  const auto t = bench::time_it([&] {
    const auto& v = s.run(targets, feeds);
    for (std::size_t i = 0; i < v.size(); ++i) gr[i].matrix() = v[i].matrix();
    adam.step(gr);
  }, 3, 9, 3);
  const std::string name = objective == "iwae" ? "vae_iwae_" + estimator : estimator == "score" ? "vae" : "vae_" + estimator;
  bench::report(name, "scg", "batch 100 x K=4", t, check);
  return 0;
}

// ============ A categorical step: the unordered-set estimator against leave-one-out ============
// B = 100 examples, each a categorical choice of 16 states read by an MLP decoder (16 -> 256 ->
// 784, tanh) whose squared error against a fixed target is the cost. At equal evaluations of
// the cost (4 per example): leave-one-out over K = 4 sampled rows per example (400 rows), or
// Estimator::kUnorderedSet with set_size 4 on one row per example (the cost cloned 4 times).
// Times one gradient run (logits, W1, W2); the check is the mean of one logit's gradient over
// 200 runs (the two estimate one gradient: they agree within their errors).
int categorical_step(const std::string& which) {
  constexpr int B = 100, n = 16, H = 256, D = 784, K = 4;
  const bool us = which == "unordered_set";
  const int rows = us ? B : B * K;
  scg::Graph g;
  Eigen::MatrixXd l = det_matrix(B, n, 0.3, 1.0), rep(rows, n), target(rows, D);
  const Eigen::MatrixXd t = det_matrix(B, D, 0.7, 1.0);
  for (int r = 0; r < rows; ++r) rep.row(r) = l.row(us ? r : r / K), target.row(r) = t.row(us ? r : r / K);
  auto theta = g.parameter("theta", scg::Tensor(l));
  auto w1 = g.parameter("W1", scg::Tensor(det_matrix(n, H, 0.4, 0.25)));
  auto w2 = g.parameter("W2", scg::Tensor(det_matrix(H, D, 0.5, 1.0 / 16)));
  Eigen::MatrixXd pick(rows, 1);
  for (int r = 0; r < rows; ++r) pick(r, 0) = us ? r : r / K;
  auto z = scg::categorical(scg::gather_rows(theta, g.constant(scg::Tensor(pick))));
  auto out = scg::matmul(scg::tanh(scg::matmul(z, w1)), w2);
  auto cost = scg::sum(scg::square(out - g.constant(scg::Tensor(target)))) / (us ? 1.0 : double(K));
  scg::GradOptions o;
  if (us) {
    o.estimators = {{z, scg::Estimator::kUnorderedSet}};
    o.set_size = K;
  } else {
    o.baseline = scg::Baseline::kLeaveOneOut;
    o.group_size = K;
  }
  const auto grads = scg::grad(cost, {theta, w1, w2}, o);
  scg::Session s(g, 1, bench::session_options());
  double m = 0, sq = 0;
  const int runs = 200;
  for (int r = 0; r < runs; ++r) {
    const double x = s.run(grads[0])(0, 1);
    m += x, sq += x * x;
  }
  m /= runs;
  char check[128];
  std::snprintf(check, sizeof check, "grad_theta01=%.6e+-%.3e", m, std::sqrt(std::max(0.0, sq / runs - m * m) / runs));
  const auto tm = bench::time_it([&] { s.run(grads); }, 3, 9, 5);
  bench::report(us ? "categorical_unordered_set" : "categorical_loo", "scg", "100 x 16 states, 4 evaluations", tm, check);
  return 0;
}

// ============================ Scaling: graphs grown by loops ============================
// One-shot figures (grad is called once per model, not per step): seconds for grad, for the
// first run (plan compilation included), for write_dot into memory, and the peak RSS.
//   running_sum N: cost = sum_i w_i b_i over N Bernoulli choices (a running sum built in a loop)
//   chain N:       x = (b + 1) k^N by N multiplications above one Bernoulli (grad of grad too)
int scale(const std::string& what, int n) {
  using clock = std::chrono::steady_clock;
  auto secs = [](clock::time_point a, clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  scg::Graph g;
  auto l = g.parameter("l", 0.1);
  scg::Var cost;
  if (what == "running_sum") {
    for (int i = 0; i < n; ++i) {
      const scg::Var term = scg::bernoulli(l) * static_cast<double>(1 + i % 7);
      cost = cost.empty() ? term : cost + term;
    }
  } else {
    cost = scg::bernoulli(l) + 1.0;
    for (int i = 0; i < n; ++i) cost = cost * 1.00001;
  }
  const std::size_t built = g.size();
  const auto t0 = clock::now();
  std::vector<scg::Var> targets = scg::grad(cost, {l});
  if (what == "chain") targets.push_back(scg::grad(targets[0], {l})[0]);
  const auto t1 = clock::now();
  scg::Session s(g, 1, bench::session_options());
  const double v = s.run(targets)[0].item();
  const auto t2 = clock::now();
  std::ostringstream dot;
  scg::write_dot(g, dot);
  const auto t3 = clock::now();
  std::printf("{\"workload\":\"scale\",\"case\":\"%s\",\"n\":%d,\"nodes_built\":%zu,\"nodes\":%zu,"
              "\"grad_s\":%.6f,\"run_s\":%.6f,\"dot_s\":%.6f,\"dot_bytes\":%zu,\"peak_rss_kib\":%ld,\"value\":%.6g}\n",
              what.c_str(), n, built, g.size(), secs(t0, t1), secs(t1, t2), secs(t2, t3), dot.str().size(),
              bench::peak_rss_kib(), v);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--build-info") {
    const scg::BuildInfo info = scg::build_info();
    std::printf("scg %s, kernels for %s, products on %s\n", scg::version(), info.arch, info.gemm);
    return 0;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench --build-info | {not_gate IMPL N | chain IMPL | dense IMPL | vae[_disarm|_relax|_iwae_score|_iwae_vimco] IMPL [DATA] | scale {running_sum|chain} N | categorical {loo|unordered_set}}\n");
    return 2;
  }
  const std::string w = argv[1], impl = argv[2];
  try {
    if (w == "not_gate" && argc > 3) return not_gate(impl, std::atoi(argv[3]));
    if (w == "chain") return chain_bench(impl);
    if (w == "dense") return dense(impl);
    if (w == "vae") return vae_step(impl, argc > 3 ? argv[3] : "/usr/share/datasets/fashion-mnist");
    if (w == "vae_disarm" || w == "vae_relax")
      return vae_step(impl, argc > 3 ? argv[3] : "/usr/share/datasets/fashion-mnist", w.substr(4));
    if (w == "vae_iwae_score" || w == "vae_iwae_vimco")  // the K-sample bound: plain score, VIMCO
      return vae_step(impl, argc > 3 ? argv[3] : "/usr/share/datasets/fashion-mnist", w.substr(9), "iwae");
    if (w == "scale" && argc > 3) return scale(impl, std::atoi(argv[3]));
    if (w == "categorical" && (impl == "loo" || impl == "unordered_set")) return categorical_step(impl);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "bench: unknown workload or implementation\n");
  return 2;
}
