// Multi-sample objectives: log_mean_exp's edge values, causality through its groups (example
// b's samples weighted by example b's bound alone), and Baseline::kVimco pinned to its formula:
// the estimator's exact mean and variance, computed by the library (expectation over every
// joint state of the samples), equal the VIMCO formula summed by hand over the same states in
// long double; its mean equals the exact gradient; the errors and refusals around groups.
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include "../mc.hpp"

namespace {
using ld = long double;
using scg::Var;
constexpr int kB = 2, kK = 3;  // examples, samples per example
constexpr std::array<ld, kB> kTheta{0.4L, -0.7L};
constexpr std::array<ld, kB * kK> kA{1.2L, 0.3L, -0.5L, 0.8L, -1.1L, 0.2L};
constexpr std::array<ld, kB * kK> kC{-0.4L, 0.9L, 0.1L, -0.2L, 0.5L, -0.9L};

ld sigl(ld x) { return 1.0L / (1.0L + std::exp(-x)); }

struct Iwae {
  Var theta, h, log_w, bound, cost;
};

// theta (B x 1) logits; h_r ~ Bern(sig(theta_{r / K})), B K rows; log w_r = A_r h_r + C_r (1 -
// h_r) - log q(h_r); cost = -sum_b log_mean_exp(log w, K)_b (the negated IWAE bound).
Iwae build(scg::Graph& g) {
  Iwae m;
  scg::Tensor theta(kB, 1), rows(kB * kK, 1), a(kB * kK, 1), c(kB * kK, 1);
  for (int b = 0; b < kB; ++b) theta(b, 0) = static_cast<double>(kTheta[b]);
  for (int r = 0; r < kB * kK; ++r)
    rows(r, 0) = r / kK, a(r, 0) = static_cast<double>(kA[r]), c(r, 0) = static_cast<double>(kC[r]);
  m.theta = g.parameter("theta", theta);
  m.h = scg::bernoulli(scg::gather_rows(m.theta, g.constant(rows)));
  m.log_w = m.h * g.constant(a) + (1.0 - m.h) * g.constant(c) - scg::log_prob(m.h);
  m.bound = scg::log_mean_exp(m.log_w, kK);
  m.cost = -scg::sum(m.bound);
  return m;
}

// The VIMCO estimate of d cost / d theta by hand at joint state `bits` (bit r: h_r), in long
// double: per example b, -sum_j (L - L_{-j}) (h_j - s_b) + sum_j w_j (h_j - s_b).
std::array<ld, kB> vimco_by_hand(int bits) {
  std::array<ld, kB> est{};
  for (int b = 0; b < kB; ++b) {
    const ld s = sigl(kTheta[b]);
    std::array<ld, kK> l{}, h{};
    for (int j = 0; j < kK; ++j) {
      const int r = b * kK + j;
      h[j] = (bits >> r) & 1;
      l[j] = h[j] * kA[r] + (1 - h[j]) * kC[r] - std::log(h[j] ? s : 1 - s);
    }
    ld total = 0;
    for (ld x : l) total += std::exp(x);
    const ld L = std::log(total / kK);
    for (int j = 0; j < kK; ++j) {
      ld others = 0, mean = 0;
      for (int i = 0; i < kK; ++i)
        if (i != j) others += std::exp(l[i]), mean += l[i] / (kK - 1);
      const ld loo = std::log((others + std::exp(mean)) / kK);
      est[b] += -(L - loo) * (h[j] - s) + std::exp(l[j]) / total * (h[j] - s);
    }
  }
  return est;
}

ld p_state(int bits) {
  ld p = 1;
  for (int r = 0; r < kB * kK; ++r) {
    const ld s = sigl(kTheta[r / kK]);
    p *= (bits >> r) & 1 ? s : 1 - s;
  }
  return p;
}

scg::GradOptions vimco() {
  scg::GradOptions o;
  o.baseline = scg::Baseline::kVimco;
  return o;
}
}  // namespace

TEST_CASE("log_mean_exp at the edges: -inf entries, a group of all -inf, huge values, errors") {
  scg::Graph g;
  constexpr double inf = std::numeric_limits<double>::infinity();
  const Var x =
      g.parameter("x", scg::Tensor::from_rows({{-inf}, {0.5}, {-inf}, {-inf}, {1e300}, {1e300}}));
  const Var l = scg::log_mean_exp(x, 2);
  const Var d =
      scg::grad(scg::sum(scg::where(g.constant(scg::Tensor::from_rows({{1.0}, {0.0}, {1.0}})), l,
                                    g.constant(0.0))),
                {x})[0];
  scg::SessionOptions unchecked;  // -inf is a value here, not an error
  unchecked.check_finite = false;
  scg::Session s(g, 1, unchecked);
  const scg::Tensor v = s.run(l), dv = s.run(d);
  CHECK(v(0, 0) == doctest::Approx(0.5 - std::log(2.0)).epsilon(1e-15));
  CHECK(v(1, 0) == -inf);
  CHECK(v(2, 0) == 1e300);  // log of the mean of two equal huge exponentials: no overflow
  CHECK(dv(0, 0) == 0.0);
  CHECK(dv(1, 0) == 1.0);
  CHECK(dv(2, 0) == 0.0);  // a group of all -inf: no NaN, no gradient
  CHECK(dv(3, 0) == 0.0);
  CHECK(dv(4, 0) == 0.5);
  CHECK(dv(5, 0) == 0.5);
  CHECK_THROWS_AS(scg::log_mean_exp(x, 4), scg::ShapeError);  // 6 rows in groups of 4
  CHECK_THROWS_AS(scg::log_mean_exp(x, 0), scg::Error);
  CHECK_THROWS_AS(scg::log_mean_exp(Var(), 2), scg::Error);
}

TEST_CASE(
    "grad through log_mean_exp groups weights example b's samples by example b's bound only") {
  scg::Graph g;
  const Iwae m = build(g);
  const Var est = scg::grad(m.cost, {m.theta})[0];
  scg::Session s(g, 1);
  // The same samples for example 0, two different ones for example 1: example 0's gradient
  // is unchanged (without causality it would carry example 1's bound).
  const scg::Tensor h1 = scg::Tensor::from_rows({{1}, {0}, {1}, {0}, {0}, {1}});
  const scg::Tensor h2 = scg::Tensor::from_rows({{1}, {0}, {1}, {1}, {1}, {0}});
  const double e0 = s.run(est, {{m.h, h1}})(0, 0), e0b = s.run(est, {{m.h, h2}})(0, 0);
  CHECK(e0 == doctest::Approx(e0b).epsilon(1e-15));
  CHECK(std::fabs(s.run(est, {{m.h, h1}})(1, 0) - s.run(est, {{m.h, h2}})(1, 0)) > 1e-3);
  // And it is unbiased: its exact mean (every joint state of the samples) is the exact gradient.
  const Var mean = scg::expectation(est), exact = scg::grad(scg::expectation(m.cost), {m.theta})[0];
  const auto v = s.run({mean, exact});
  for (int b = 0; b < kB; ++b) CHECK(v[0](b, 0) == doctest::Approx(v[1](b, 0)).epsilon(1e-12));
}

TEST_CASE("Baseline::kVimco is the VIMCO estimator: exact mean and variance equal its formula's") {
  scg::Graph g;
  const Iwae m = build(g);
  const Var est = scg::grad(m.cost, {m.theta}, vimco())[0];
  const Var mean = scg::expectation(est);
  const Var var = scg::expectation(scg::square(est - mean));
  const Var exact = scg::grad(scg::expectation(m.cost), {m.theta})[0];
  const Var plain = scg::grad(m.cost, {m.theta})[0];
  const Var plain_var = scg::expectation(scg::square(plain - scg::expectation(plain)));
  scg::Session s(g, 5);
  const auto v = s.run({mean, var, exact, plain_var});
  std::array<ld, kB> hand_mean{}, hand_m2{};
  for (int bits = 0; bits < 1 << (kB * kK); ++bits) {
    const auto e = vimco_by_hand(bits);
    for (int b = 0; b < kB; ++b)
      hand_mean[b] += p_state(bits) * e[b], hand_m2[b] += p_state(bits) * e[b] * e[b];
  }
  for (int b = 0; b < kB; ++b) {
    CAPTURE(b);
    CHECK(v[0](b, 0) == doctest::Approx(static_cast<double>(hand_mean[b])).epsilon(1e-12));
    CHECK(v[0](b, 0) == doctest::Approx(v[2](b, 0)).epsilon(1e-12));  // unbiased
    const ld hand_var = hand_m2[b] - hand_mean[b] * hand_mean[b];
    CHECK(v[1](b, 0) == doctest::Approx(static_cast<double>(hand_var)).epsilon(1e-10));
    CHECK(v[1](b, 0) < v[3](b, 0));  // below the plain score function's variance here
  }
  // One sampled state against the formula, run by run.
  for (int i = 0; i < 20; ++i) {
    const auto r = s.run({est, m.h});
    int bits = 0;
    for (int row = 0; row < kB * kK; ++row) bits |= static_cast<int>(r[1](row, 0)) << row;
    const auto e = vimco_by_hand(bits);
    for (int b = 0; b < kB; ++b)
      CHECK(r[0](b, 0) == doctest::Approx(static_cast<double>(e[b])).epsilon(1e-12));
  }
}

TEST_CASE("Baseline::kVimco refuses what it cannot answer, and a second derivative") {
  SUBCASE("a cost with no log_mean_exp group") {
    scg::Graph g;
    const Var theta = g.parameter("theta", scg::Tensor(4, 1, 0.2));
    const Var h = scg::bernoulli(theta);
    try {
      scg::grad(scg::sum(scg::square(h - 0.3)), {theta}, vimco());
      FAIL("no error");
    } catch (const scg::Error& e) {
      const std::string msg = e.what();
      CHECK(msg.find(h.describe()) != std::string::npos);
      CHECK(msg.find("no log_mean_exp bound") != std::string::npos);
    }
  }
  SUBCASE("a cost that is not linear in the bound") {
    scg::Graph g;
    const Iwae m = build(g);
    try {
      scg::grad(scg::sum(scg::square(m.bound)), {m.theta}, vimco());
      FAIL("no error");
    } catch (const scg::Error& e) {
      CHECK(std::string(e.what()).find("linear in the bound") != std::string::npos);
    }
  }
  SUBCASE("groups of one sample") {
    scg::Graph g;
    const Var theta = g.parameter("theta", scg::Tensor(4, 1, 0.2));
    const Var h = scg::bernoulli(theta);
    CHECK_THROWS_WITH_AS(scg::grad(-scg::sum(scg::log_mean_exp(h * 2.0, 1)), {theta}, vimco()),
                         doctest::Contains("no log_mean_exp bound"), scg::Error);
  }
  SUBCASE("a second derivative") {
    scg::Graph g;
    const Iwae m = build(g);
    const Var d = scg::grad(m.cost, {m.theta}, vimco())[0];
    CHECK_THROWS_WITH_AS(scg::grad(scg::sum(d), {m.theta}), doctest::Contains("first-order"),
                         scg::Error);
  }
  SUBCASE("leave-one-out, DisARM and enumeration through groups are refused") {
    scg::Graph g;
    const Iwae m = build(g);
    scg::GradOptions loo;
    loo.baseline = scg::Baseline::kLeaveOneOut;
    loo.group_size = kK;
    CHECK_THROWS_WITH_AS(scg::grad(m.cost, {m.theta}, loo), doctest::Contains("Baseline::kVimco"),
                         scg::Error);
    scg::GradOptions en;
    en.estimators = {{m.h, scg::Estimator::kEnumerate}};
    CHECK_THROWS_WITH_AS(scg::grad(m.cost, {m.theta}, en), doctest::Contains("log_mean_exp groups"),
                         scg::Error);
  }
}
