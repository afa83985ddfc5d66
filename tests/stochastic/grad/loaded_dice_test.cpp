// GradOptions::lambda, Loaded DiCE (Farquhar et al. 2019). On a three-step chain (each step's
// logit read from the previous choice, a cost term per step, two independent rows):
// - the first derivative does not depend on lambda (same seed, same values);
// - the exact mean of the Hessian by repeated grad is the formula written here in long double
//   over the 8 states of a row: per term f, f (sum_j d2 rho_j + sum_{i,j} lambda^|d_i - d_j|
//   d rho_i d rho_j^T), d the steps' depths; at lambda = 1 that is the exact Hessian;
// - baselines leave that mean unchanged (Mao et al.'s form with the discounted earlier scores);
// - the graph grad builds grows linearly with the chain's length;
// - out-of-range values and lambda without live boxes are refused.
#include <array>
#include <cmath>
#include <vector>

#include "../mc.hpp"

namespace {
using scg::Var;

struct Chain {
  Var th, cost;
};

constexpr double kTh[3] = {0.3, -0.5, 0.8};

// Step t's logit is th[0] at the start, else th[1 + previous choice].
Chain chain(scg::Graph& g, int rows, int steps = 3) {
  Chain m;
  m.th = g.parameter("th", scg::Tensor::from_rows({{kTh[0]}, {kTh[1]}, {kTh[2]}}));
  const Var ths = scg::transpose(m.th);
  scg::Tensor s0(rows, 3);
  s0.matrix().col(0).setOnes();
  const Var zero = g.constant(scg::Tensor(rows, 1));
  std::vector<Var> a{scg::bernoulli(scg::sum(g.constant(s0) * ths, 1))};
  for (int t = 1; t < steps; ++t)
    a.push_back(scg::bernoulli(scg::sum(scg::concat({zero, 1.0 - a.back(), a.back()}, 1) * ths, 1)));
  m.cost = scg::mean(2.0 * a[0] - 1.0) + scg::mean(3.0 * a[0] * a[1] - a[1] + 0.5);
  for (int t = 2; t < steps; ++t) m.cost = m.cost + scg::mean(a[t] * a[t - 1] - 2.0 * a[t]);
  return m;
}

scg::GradOptions loaded(double lambda, scg::Baseline b = scg::Baseline::kNone) {
  scg::GradOptions o;
  o.live_boxes = true;
  o.lambda = lambda;
  o.baseline = b;
  return o;
}

Var row(const Var& v, int i) { return scg::sum(scg::slice_rows(v, i, 1)); }

using Mat3 = std::array<std::array<long double, 3>, 3>;

// The exact mean of the Loaded DiCE Hessian estimate of the three-step chain's cost (one row's
// expectation; the cost is the mean over rows).
Mat3 loaded_hessian(long double lambda) {
  auto sig = [](long double x) { return 1 / (1 + std::exp(-x)); };
  Mat3 h{};
  for (int z = 0; z < 8; ++z) {
    const int a[3] = {z & 1, (z >> 1) & 1, (z >> 2) & 1};
    long double p = 1;
    std::array<long double, 3> score[3] = {};  // d rho_t / d th
    Mat3 d2[3] = {};                           // d2 rho_t / d th2
    for (int t = 0; t < 3; ++t) {
      const int k = t == 0 ? 0 : 1 + a[t - 1];  // the parameter step t reads
      const long double s = sig(kTh[k]);
      p *= a[t] ? s : 1 - s;
      score[t][k] = a[t] - s;
      d2[t][k][k] = -s * (1 - s);
    }
    const long double f[3] = {2.0L * a[0] - 1, 3.0L * a[0] * a[1] - a[1] + 0.5L,
                              1.0L * a[2] * a[1] - 2.0L * a[2]};
    for (int term = 0; term < 3; ++term)  // term t reads steps 0..t (depths 0..t)
      for (int i = 0; i <= term; ++i) {
        for (int r = 0; r < 3; ++r)
          for (int c = 0; c < 3; ++c) {
            h[r][c] += p * f[term] * d2[i][r][c];
            for (int j = 0; j <= term; ++j)
              h[r][c] += p * f[term] * std::pow(lambda, std::abs(i - j)) * score[i][r] * score[j][c];
          }
      }
  }
  return h;
}

}  // namespace

TEST_CASE("Loaded DiCE: the first derivative does not depend on lambda") {
  std::vector<scg::Tensor> first;
  for (double lambda : {1.0, 0.6, 0.0}) {
    scg::Graph g;
    const Chain m = chain(g, 4);
    const Var gr = scg::grad(m.cost, {m.th}, loaded(lambda, scg::Baseline::kLeaveOneOut))[0];
    scg::Session s(g, 7);
    for (int run = 0; run < 5; ++run) {
      const scg::Tensor v = s.run(gr);
      if (lambda == 1.0) {
        first.push_back(v);
        continue;
      }
      for (int j = 0; j < 3; ++j) CHECK(v(j, 0) == doctest::Approx(first[run](j, 0)).epsilon(1e-12));
    }
  }
}

TEST_CASE("Loaded DiCE: the exact mean of the Hessian estimate is the discounted formula") {
  // The formula at lambda = 1 is the exact Hessian of E[cost]; below 1 it differs (the test
  // would not see lambda otherwise).
  const Mat3 h1 = loaded_hessian(1), h5 = loaded_hessian(0.5);
  double most = 0;
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) most = std::max(most, static_cast<double>(std::abs(h1[r][c] - h5[r][c])));
  CHECK(most > 0.05);
  for (double lambda : {1.0, 0.5, 0.0})
    for (scg::Baseline b : {scg::Baseline::kNone, scg::Baseline::kLeaveOneOut}) {
      CAPTURE(lambda);
      CAPTURE(static_cast<int>(b));
      scg::Graph g;
      const Chain m = chain(g, 2);
      const Var gr = scg::grad(m.cost, {m.th}, loaded(lambda, b))[0];
      std::vector<Var> targets;
      for (int i = 0; i < 3; ++i) targets.push_back(scg::expectation(scg::grad(row(gr, i), {m.th})[0]));
      const Var exact = scg::grad(scg::expectation(m.cost), {m.th})[0];
      for (int i = 0; i < 3; ++i) targets.push_back(scg::grad(row(exact, i), {m.th})[0]);
      scg::Session s(g, 1);
      const auto v = s.run(targets);
      const Mat3 want = loaded_hessian(lambda);
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) {
          CAPTURE(r);
          CAPTURE(c);
          CHECK(v[static_cast<std::size_t>(r)](c, 0) == doctest::Approx(static_cast<double>(want[r][c])).epsilon(1e-10));
          // The formula's reference at lambda = 1: the exact Hessian from expectation().
          if (lambda == 1.0)
            CHECK(v[static_cast<std::size_t>(3 + r)](c, 0) == doctest::Approx(static_cast<double>(h1[r][c])).epsilon(1e-10));
        }
    }
}

TEST_CASE("Loaded DiCE: the grad's graph grows linearly with the chain") {
  std::size_t added[2];
  for (int k = 0; k < 2; ++k) {
    scg::Graph g;
    const Chain m = chain(g, 2, k == 0 ? 100 : 200);
    const std::size_t before = g.size();
    (void)scg::grad(m.cost, {m.th}, loaded(0.5, scg::Baseline::kLeaveOneOut));
    added[k] = g.size() - before;
  }
  CAPTURE(added[0]);
  CAPTURE(added[1]);
  CHECK(static_cast<double>(added[1]) < 2.2 * static_cast<double>(added[0]));
}

TEST_CASE("Loaded DiCE: lambda out of [0, 1], or without live boxes, is refused") {
  scg::Graph g;
  const Chain m = chain(g, 2);
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(scg::grad(m.cost, {m.th}, loaded(bad)), doctest::Contains("GradOptions::lambda"),
                         scg::Error);
  }
  scg::GradOptions o;
  o.lambda = 0.5;
  CHECK_THROWS_WITH_AS(scg::grad(m.cost, {m.th}, o), doctest::Contains("set live_boxes = true"), scg::Error);
}
