#pragma once
// The sigmoid belief net of examples/hmm.cpp: h2 (8 binary units) ~ Bern(sig(c2)), h1 (8) ~
// Bern(sig(h2 W + c1)), x (16 pixels) ~ Bern(sig(h1 V + c0)); log p(x) = log
// expectation(exp(log p(x | h1))) sums the 2^16 joint states per example exactly. Also: data
// drawn from a net, and the brute-force sum the graph is checked against.
#include <array>
#include <cmath>
#include <random>
#include <scg/scg.hpp>
#include <vector>

namespace sbn {

constexpr int H = 8, D = 16;  // units per hidden layer, pixels

inline double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

/// The weights: c2 (1 x H), W (H x H), c1 (1 x H), V (H x D), c0 (1 x D).
struct Weights {
  scg::Tensor c2, W, c1, V, c0;
};

/// Weights drawn N(0, scale^2) from rng, one scale per tensor (in the order c2, W, c1, V, c0).
inline Weights random_weights(std::mt19937_64& rng, std::normal_distribution<double>& normal,
                              const std::array<double, 5>& scale) {
  auto draw = [&](int r, int c, double sc) {
    scg::Tensor t(r, c);
    for (Eigen::Index k = 0; k < t.shape().size(); ++k) t.data()[k] = sc * normal(rng);
    return t;
  };
  Weights w;
  w.c2 = draw(1, H, scale[0]), w.W = draw(H, H, scale[1]), w.c1 = draw(1, H, scale[2]);
  w.V = draw(H, D, scale[3]), w.c0 = draw(1, D, scale[4]);
  return w;
}

/// n examples x drawn from the net w (one per row).
inline scg::Tensor sample(const Weights& w, int n, std::mt19937_64& rng) {
  scg::Tensor x(n, D);
  std::uniform_real_distribution<double> u01;
  for (int r = 0; r < n; ++r) {
    std::array<double, H> h2, h1;
    for (int i = 0; i < H; ++i) h2[i] = u01(rng) < sig(w.c2(0, i));
    for (int j = 0; j < H; ++j) {
      double a = w.c1(0, j);
      for (int i = 0; i < H; ++i) a += h2[i] * w.W(i, j);
      h1[j] = u01(rng) < sig(a);
    }
    for (int d = 0; d < D; ++d) {
      double a = w.c0(0, d);
      for (int j = 0; j < H; ++j) a += h1[j] * w.V(j, d);
      x(r, d) = u01(rng) < sig(a);
    }
  }
  return x;
}

/// log p(x_r | h1) for every state h1 of the first layer.
inline std::vector<double> log_px_given_h1(const Weights& w, const scg::Tensor& x, Eigen::Index r) {
  std::vector<double> lp(1 << H);
  for (int h1 = 0; h1 < (1 << H); ++h1) {
    double l = 0;
    for (int d = 0; d < D; ++d) {
      double a = w.c0(0, d);
      for (int i = 0; i < H; ++i) a += ((h1 >> i) & 1) * w.V(i, d);
      l += x(r, d) > 0.5 ? std::log(sig(a)) : std::log(sig(-a));
    }
    lp[static_cast<std::size_t>(h1)] = l;
  }
  return lp;
}

/// Sum over the rows of x of log p(x) by the brute-force sum over all 2^16 states of (h2, h1).
inline double brute_force(const Weights& w, const scg::Tensor& x) {
  double total = 0;
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const std::vector<double> lp_h1 = log_px_given_h1(w, x, r);
    double p = 0;
    for (int h2 = 0; h2 < (1 << H); ++h2) {
      double ph2 = 1;
      for (int i = 0; i < H; ++i) ph2 *= (h2 >> i) & 1 ? sig(w.c2(0, i)) : sig(-w.c2(0, i));
      std::array<double, H> q;
      for (int j = 0; j < H; ++j) {
        double a = w.c1(0, j);
        for (int i = 0; i < H; ++i) a += ((h2 >> i) & 1) * w.W(i, j);
        q[static_cast<std::size_t>(j)] = sig(a);
      }
      for (int h1 = 0; h1 < (1 << H); ++h1) {
        double ph1 = 1;
        for (int j = 0; j < H; ++j)
          ph1 *=
              (h1 >> j) & 1 ? q[static_cast<std::size_t>(j)] : 1 - q[static_cast<std::size_t>(j)];
        p += ph2 * ph1 * std::exp(lp_h1[static_cast<std::size_t>(h1)]);
      }
    }
    total += std::log(p);
  }
  return total;
}

/// The net with weights `init` on the examples x, as an scg graph: the sampled model, then
/// (exact()) its exact log-likelihood and gradient.
struct SbnGraph {
  scg::Graph g;
  std::vector<scg::Var> params;   // c2, W, c1, V, c0
  scg::Var loglik;                // log p(x | h1), summed over the rows
  std::vector<scg::Var> targets;  // after exact(): log p(x), then its gradient

  SbnGraph(const Weights& init, const scg::Tensor& x) {
    const scg::Var c2 = g.parameter("c2", init.c2), W = g.parameter("W", init.W),
                   c1 = g.parameter("c1", init.c1), V = g.parameter("V", init.V),
                   c0 = g.parameter("c0", init.c0);
    params = {c2, W, c1, V, c0};
    const scg::Var xs = g.constant(x);
    const scg::Var h2 = scg::bernoulli(c2 + g.constant(scg::Tensor(x.rows(), H)));
    const scg::Var h1 = scg::bernoulli(scg::matmul(h2, W) + c1);
    const scg::Var a = scg::matmul(h1, V) + c0;
    loglik = scg::sum(xs * scg::log_sigmoid(a) + (1.0 - xs) * scg::log_sigmoid(-a));
  }
  /// log p(x) = log expectation(exp(log p(x | h1))) and its gradient, as targets.
  void exact() {
    scg::ExpectationOptions eo;
    eo.max_states = 65536;  // p(h1 | h2): 2^8 x 2^8 states per example
    const scg::Var ll = scg::log(scg::expectation(scg::exp(loglik), eo));
    targets = {ll};
    for (const scg::Var& gv : scg::grad(ll, params)) targets.push_back(gv);
  }
  /// The current weights (the parameters' values).
  Weights weights() const {
    return {params[0].value(), params[1].value(), params[2].value(), params[3].value(),
            params[4].value()};
  }
};

}  // namespace sbn
