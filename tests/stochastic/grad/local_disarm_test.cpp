// Estimator::kDisarm inside multi-sample bounds (local DisARM, Dong, Mnih and Tucker 2020,
// section 5). Two examples, K = 2 antithetic pairs each, 2 latent units: the test enumerates
// every joint state of the pairs (each element of a pair takes one of 3 coupled values, so
// 3^8 states), runs the library's estimate at each with the choices fed, and checks it against
// the formula written here in long double; the exact mean against the exact gradient of the
// K-sample bound (a separate enumeration over independent samples); Monte-Carlo mean and
// variance of unfed runs against the exact ones; and the errors.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "../mc.hpp"

namespace {
using ld = long double;
using scg::Var;
constexpr int kB = 2, kK = 2, kD = 2;       // examples, pairs per example, latent units
constexpr int kPairs = kB * kK, kRows = 2 * kPairs;
constexpr ld kTheta[kB][kD] = {{0.3L, -0.6L}, {-0.9L, 0.5L}};
// Per pair i (both of its rows): log w(z) = sum_j (A_ij z_j + C_ij (1 - z_j)) + E_i z_0 z_1 - log q(z).
constexpr ld kA[kPairs][kD] = {{1.1L, -0.4L}, {0.2L, 0.9L}, {-0.7L, 0.6L}, {0.5L, -1.2L}};
constexpr ld kC[kPairs][kD] = {{-0.3L, 0.8L}, {0.4L, -0.5L}, {0.9L, 0.1L}, {-0.6L, 0.3L}};
constexpr ld kE[kPairs] = {0.7L, -1.3L, 0.4L, 1.5L};

ld sigl(ld x) { return 1.0L / (1.0L + std::exp(-x)); }

ld log_w(int pair, const std::array<int, kD>& z) {
  const int b = pair / kK;
  ld v = kE[pair] * z[0] * z[1];
  for (int j = 0; j < kD; ++j) {
    const ld s = sigl(kTheta[b][j]);
    v += z[j] ? kA[pair][j] - std::log(s) : kC[pair][j] - std::log(1 - s);
  }
  return v;
}

struct Model {
  Var theta, z, y, bound, cost;
};

// z: bernoulli_pairs of theta's row per example (2K rows each), y its log weights one row per
// row, the bound log_mean_exp(reshape(y, rows / 2, 2), K): per example, column 0 the K-sample
// bound over the pairs' first rows, column 1 over their second rows; cost = -mean of the two.
Model build(scg::Graph& g) {
  Model m;
  scg::Tensor theta(kB, kD), idx(kRows, 1), a(kRows, kD), c(kRows, kD), e(kRows, 1);
  for (int b = 0; b < kB; ++b)
    for (int j = 0; j < kD; ++j) theta(b, j) = static_cast<double>(kTheta[b][j]);
  for (int r = 0; r < kRows; ++r) {
    const int pair = r / 2;
    idx(r, 0) = r / (2 * kK);
    e(r, 0) = static_cast<double>(kE[pair]);
    for (int j = 0; j < kD; ++j)
      a(r, j) = static_cast<double>(kA[pair][j]), c(r, j) = static_cast<double>(kC[pair][j]);
  }
  m.theta = g.parameter("theta", theta);
  m.z = scg::bernoulli_pairs(scg::gather_rows(m.theta, g.constant(idx)));
  m.y = scg::sum(m.z * g.constant(a) + (1.0 - m.z) * g.constant(c), 1) +
        g.constant(e) * scg::slice_cols(m.z, 0, 1) * scg::slice_cols(m.z, 1, 1) -
        scg::sum(scg::log_prob(m.z), 1);
  m.bound = scg::log_mean_exp(scg::reshape(m.y, kPairs, 2), kK);
  m.cost = -0.5 * scg::sum(m.bound);
  return m;
}

scg::GradOptions disarm(const Var& z) {
  scg::GradOptions o;
  o.estimators = {{z, scg::Estimator::kDisarm}};
  return o;
}

using Rows = std::array<std::array<int, kD>, kRows>;

// The estimate of d cost / d theta at pair values z, by hand: the local DisARM terms plus the
// derivative through log q in the log weights (the samples held fixed).
std::array<std::array<ld, kD>, kB> by_hand(const Rows& z) {
  std::array<std::array<ld, kD>, kB> est{};
  for (int b = 0; b < kB; ++b)
    for (int m = 0; m < 2; ++m) {  // the bound over first (0) or second (1) rows
      std::array<ld, kK> y{}, yp{};
      for (int k = 0; k < kK; ++k) {
        const int pair = b * kK + k;
        y[k] = log_w(pair, z[2 * pair + m]), yp[k] = log_w(pair, z[2 * pair + 1 - m]);
      }
      auto lse = [](const std::array<ld, kK>& v) {
        ld t = 0;
        for (ld x : v) t += std::exp(x);
        return std::log(t);
      };
      const ld L = lse(y);
      for (int k = 0; k < kK; ++k) {
        const auto& zr = z[2 * (b * kK + k) + m];
        const auto& zp = z[2 * (b * kK + k) + 1 - m];
        std::array<ld, kK> swapped = y;
        swapped[k] = yp[k];
        const ld signal = -0.5L * (L - lse(swapped));  // d cost / d L = -1/2
        const ld weight = std::exp(y[k] - L);          // d L / d y_k
        for (int j = 0; j < kD; ++j) {
          const ld s = sigl(kTheta[b][j]);
          if (zr[j] != zp[j])
            est[b][j] += 0.5L * signal * (zp[j] ? -1.0L : 1.0L) * sigl(std::fabs(kTheta[b][j]));
          est[b][j] += -0.5L * weight * -(zr[j] - s);  // through -log q(z_r)
        }
      }
    }
  return est;
}

// d E[cost] / d theta exactly: E[cost] = -E[L_K] per example with K independent samples
// (each bound is one), by enumeration over the K D bits of an example.
std::array<std::array<ld, kD>, kB> exact_gradient() {
  std::array<std::array<ld, kD>, kB> out{};
  for (int b = 0; b < kB; ++b)
    for (int bits = 0; bits < 1 << (kK * kD); ++bits) {
      ld p = 1, total = 0;
      std::array<std::array<int, kD>, kK> z{};
      std::array<ld, kK> y{};
      for (int k = 0; k < kK; ++k) {
        for (int j = 0; j < kD; ++j) {
          z[k][j] = (bits >> (k * kD + j)) & 1;
          const ld s = sigl(kTheta[b][j]);
          p *= z[k][j] ? s : 1 - s;
        }
        y[k] = log_w(b * kK + k, z[k]);
        total += std::exp(y[k]);
      }
      const ld L = std::log(total / kK);
      for (int j = 0; j < kD; ++j) {
        const ld s = sigl(kTheta[b][j]);
        ld d = 0;
        for (int k = 0; k < kK; ++k) d += L * (z[k][j] - s) - std::exp(y[k]) / total * (z[k][j] - s);
        out[b][j] -= p * d;
      }
    }
  return out;
}
}  // namespace

TEST_CASE("local DisARM: the estimate at every joint state of the pairs, its exact mean and variance") {
  scg::Graph g;
  const Model m = build(g);
  const Var est = scg::grad(m.cost, {m.theta}, disarm(m.z))[0];
  scg::Session s(g, 3);
  const auto exact = exact_gradient();
  // Each element of a pair: its 3 coupled values (x, x') with their probabilities.
  std::array<std::array<std::array<int, 2>, 3>, kB * kD> values{};
  std::array<std::array<ld, 3>, kB * kD> probs{};
  for (int b = 0; b < kB; ++b)
    for (int j = 0; j < kD; ++j) {
      const ld sg = sigl(kTheta[b][j]);
      const bool high = sg >= 0.5L;
      values[b * kD + j] = {{{high ? 1 : 0, high ? 1 : 0}, {1, 0}, {0, 1}}};
      probs[b * kD + j] = {high ? 2 * sg - 1 : 1 - 2 * sg, high ? 1 - sg : sg, high ? 1 - sg : sg};
    }
  std::array<std::array<ld, kD>, kB> mean{};
  std::vector<std::pair<ld, std::array<std::array<ld, kD>, kB>>> table;  // (p, estimate) per state
  scg::Tensor zt(kRows, kD);
  int states = 1;
  for (int i = 0; i < kPairs * kD; ++i) states *= 3;
  ld worst = 0;
  for (int st = 0; st < states; ++st) {
    Rows z{};
    ld p = 1;
    int code = st;
    for (int pair = 0; pair < kPairs; ++pair)
      for (int j = 0; j < kD; ++j, code /= 3) {
        const int e = (pair / kK) * kD + j, v = code % 3;
        z[2 * pair][j] = values[e][v][0], z[2 * pair + 1][j] = values[e][v][1];
        p *= probs[e][v];
      }
    if (p == 0) continue;
    for (int r = 0; r < kRows; ++r)
      for (int j = 0; j < kD; ++j) zt(r, j) = z[r][j];
    const scg::Tensor& got = s.run(est, {{m.z, zt}});
    const auto hand = by_hand(z);
    for (int b = 0; b < kB; ++b)
      for (int j = 0; j < kD; ++j) {
        worst = std::max(worst, std::fabs(got(b, j) - hand[b][j]));
        mean[b][j] += p * hand[b][j];
      }
    table.emplace_back(p, hand);
  }
  CHECK(worst < 1e-12);  // the library's estimate is the formula, state by state
  std::vector<double> want;  // in the order of Tensor::data(): column-major
  for (int j = 0; j < kD; ++j)
    for (int b = 0; b < kB; ++b) {
      CAPTURE(b);
      CAPTURE(j);
      // Unbiased, exactly: the mean over the coupled states is the K-sample bound's gradient.
      CHECK(static_cast<double>(mean[b][j]) ==
            doctest::Approx(static_cast<double>(exact[b][j])).epsilon(1e-12));
      want.push_back(static_cast<double>(exact[b][j]));
    }
  // Sampled runs: mean within 5 standard errors, variance within 5 of its standard errors.
  constexpr int kRuns = 20000;
  const scg_test::Moments mc = scg_test::sample_moments(s, {est}, kRuns);
  scg_test::check_within(mc, want, 5.0);
  for (int b = 0; b < kB; ++b)
    for (int j = 0; j < kD; ++j) {
      ld var = 0, mu4 = 0;  // central moments over the states
      for (const auto& [p, e] : table) {
        const ld d = e[b][j] - mean[b][j];
        var += p * d * d, mu4 += p * d * d * d * d;
      }
      // The sample variance's standard error: sqrt((mu4 - var^2) / n).
      const double se_var = std::sqrt(static_cast<double>(mu4 - var * var) / kRuns);
      CAPTURE(b);
      CAPTURE(j);
      CAPTURE(var);
      CHECK(std::fabs(mc.var[j * kB + b] - static_cast<double>(var)) <= 5.0 * se_var);
    }
}

TEST_CASE("a reshape that merges consecutive rows keeps examples apart for grad's causality") {
  // h: 2 examples x 3 samples as rows; reshape to one row per example, then a per-row cost.
  scg::Graph g;
  const Var theta = g.parameter("theta", scg::Tensor::from_rows({{0.4}, {-0.7}}));
  const Var h = scg::bernoulli(scg::gather_rows(
      theta, g.constant(scg::Tensor::from_rows({{0}, {0}, {0}, {1}, {1}, {1}}))));
  const Var per_example = scg::logsumexp(scg::reshape(h * 1.5 - 0.2, 2, 3), 1);
  const Var cost = scg::sum(scg::square(per_example));
  const Var est = scg::grad(cost, {theta})[0];
  scg::Session s(g, 1);
  const scg::Tensor h1 = scg::Tensor::from_rows({{1}, {0}, {1}, {0}, {0}, {1}});
  const scg::Tensor h2 = scg::Tensor::from_rows({{1}, {0}, {1}, {1}, {1}, {0}});
  CHECK(s.run(est, {{h, h1}})(0, 0) == doctest::Approx(s.run(est, {{h, h2}})(0, 0)).epsilon(1e-15));
  const Var mean = scg::expectation(est), exact = scg::grad(scg::expectation(cost), {theta})[0];
  const auto v = s.run({mean, exact});
  for (int b = 0; b < 2; ++b) CHECK(v[0](b, 0) == doctest::Approx(v[1](b, 0)).epsilon(1e-12));
  // A reshape that does not merge whole rows mixes them: no causality, still unbiased.
  const Var mixed = scg::sum(scg::square(scg::logsumexp(scg::reshape(h * 1.5, 3, 2), 1)));
  const Var est2 = scg::grad(mixed, {theta})[0];
  const auto v2 = s.run({scg::expectation(est2), scg::grad(scg::expectation(mixed), {theta})[0]});
  for (int b = 0; b < 2; ++b) CHECK(v2[0](b, 0) == doctest::Approx(v2[1](b, 0)).epsilon(1e-12));
}

TEST_CASE("local DisARM refuses bounds it cannot read, other uses of the node, a second derivative") {
  scg::Graph g;
  const Model m = build(g);
  auto refuses = [&](const Var& cost, const char* what) {
    CAPTURE(what);
    try {
      scg::grad(cost, {m.theta}, disarm(m.z));
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string msg = e.what();
      CHECK(msg.find(m.z.describe()) != std::string::npos);
      CHECK(msg.find(what) != std::string::npos);
    }
  };
  // The pairs' rows stacked in one bound (not side by side): no antithetic counterfactual.
  refuses(-scg::sum(scg::log_mean_exp(m.y, 2 * kK)), "side by side");
  // Two pairs per row of the reshape.
  refuses(-scg::sum(scg::log_mean_exp(scg::reshape(m.y, kPairs / 2, 4), 1)), "side by side");
  refuses(m.cost + scg::sum(m.z), "outside log_mean_exp bounds");
  refuses(scg::sum(scg::square(m.bound)), "linear in the bound");
  // A derivative of the estimate: refused (the estimate reads both rows of each pair, so the
  // second grad refuses the node for mixing rows before reaching the first-order guard).
  const Var d = scg::grad(m.cost, {m.theta}, disarm(m.z))[0];
  std::string why;
  try {
    scg::grad(scg::sum(scg::square(d)), {m.theta}, disarm(m.z));
  } catch (const scg::Error& e) {
    why = e.what();
  }
  CAPTURE(why);
  CHECK((why.find("first-order") != std::string::npos || why.find("mix rows") != std::string::npos));
}
