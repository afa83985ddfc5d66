// Baselines: each keeps the estimator unbiased and cuts its variance. NOT gate with N = 4
// copies of each input (8 rows, 2^8 = 256 joint states, so exact moments by enumeration).
#include <cstdio>

#include "../mc.hpp"

namespace {
constexpr int kCopies = 4;

struct Model {
  scg::Graph g;
  scg::Var w0 = g.parameter("w0", 0.3), b0 = g.parameter("b0", -0.2);
  scg::Var w1 = g.parameter("w1", -0.7), b1 = g.parameter("b1", 0.4);
  scg::Var x, b, cost;
  std::vector<scg::Var> params() const { return {w0, b0, w1, b1}; }
  // mixed: rows 0..3 hold x = 0 and rows 4..7 x = 1; otherwise all 8 rows hold x = 1.
  explicit Model(bool mixed = true) {
    scg::Tensor xs(2 * kCopies, 1, 1.0);
    if (mixed)
      for (int r = 0; r < kCopies; ++r) xs(r, 0) = 0;
    x = g.constant(xs);
    b = scg::bernoulli(w0 * x + b0);
    cost = scg::sum(scg::square((1.0 - x) - b * scg::sigmoid(w1 * x + b1))) / double(kCopies);
  }
};

// Exact mean and variance of each estimator element, by enumeration.
void exact_moments(scg::Session& s, const std::vector<scg::Var>& est, std::vector<double>& mean,
                   std::vector<double>& var) {
  mean.clear(), var.clear();
  for (const auto& e : est) {
    const double m = s.run(scg::expectation(e)).item();
    mean.push_back(m);
    var.push_back(s.run(scg::expectation(e * e)).item() - m * m);
  }
}
}  // namespace

TEST_CASE("leave-one-out baseline: exactly unbiased, lower variance") {
  Model n;
  const auto plain = scg::grad(n.cost, n.params());
  scg::GradOptions loo;
  loo.baseline = scg::Baseline::kLeaveOneOut;
  loo.group_size = kCopies;  // copies of the same x are consecutive rows
  const auto est = scg::grad(n.cost, n.params(), loo);
  const auto exact = scg::grad(scg::expectation(n.cost), n.params());
  scg::Session s(n.g, 1);
  std::vector<double> m0, v0, m1, v1;
  exact_moments(s, plain, m0, v0);
  exact_moments(s, est, m1, v1);
  const auto ex = scg_test::values(s, exact);
  for (int i = 0; i < 4; ++i) {
    CHECK(m0[i] == doctest::Approx(ex[i]).epsilon(1e-10));
    CHECK(m1[i] == doctest::Approx(ex[i]).epsilon(1e-10));
  }
  std::printf("leave-one-out (exact, by enumeration): variance w0 %.5f -> %.5f, b0 %.5f -> %.5f\n",
              v0[0], v1[0], v0[1], v1[1]);
  // Closed form for w0 (only the 4 rows with x = 1 have a w0 score; their cost is B s^2,
  // p = sigmoid(0.1)). In units of (s^2/4)^2: without baseline, 4 independent rows of
  // variance p(1-p)^3. With b = mean of the 3 other rows: per row
  // p(1-p)[(1-p)^3 + p^3] + p^2(1-p)^2/3 - p^2(1-p)^2, and each of the 12 ordered pairs of
  // rows gets covariance p^2(1-p)^2/9 (each row's baseline holds the other's cost).
  const double p = 1.0 / (1.0 + std::exp(-0.1)), q = 1.0 - p, pq = p * q;
  const double none = 4 * p * q * q * q;
  const double with_loo = 4 * (pq * (q * q * q + p * p * p) + pq * pq / 3 - pq * pq) + 12 * pq * pq / 9;
  CHECK(v1[0] / v0[0] == doctest::Approx(with_loo / none).epsilon(1e-9));  // = 0.75
  CHECK(v1[1] < 0.5 * v0[1]);
  CHECK(v1[2] == doctest::Approx(v0[2]).epsilon(1e-10));  // pathwise parts untouched
}

TEST_CASE("leave-one-out over all rows (group_size 0) is unbiased too") {
  Model n;
  scg::GradOptions loo;
  loo.baseline = scg::Baseline::kLeaveOneOut;
  const auto est = scg::grad(n.cost, n.params(), loo);
  const auto exact = scg::grad(scg::expectation(n.cost), n.params());
  scg::Session s(n.g, 1);
  const auto ex = scg_test::values(s, exact);
  for (int i = 0; i < 4; ++i)
    CHECK(s.run(scg::expectation(est[i])).item() == doctest::Approx(ex[i]).epsilon(1e-10));
}

TEST_CASE("moving-average baseline: unbiased (Monte-Carlo), lower variance") {
  // One average per choice suits rows of like inputs (here all x = 1). Where rows hold
  // inputs with very different costs, one number fits none of them and can raise the
  // variance: use leave-one-out within groups or an input-dependent learned baseline.
  Model n(false);
  const auto plain = scg::grad(n.cost, n.params());
  scg::GradOptions ma;
  ma.baseline = scg::Baseline::kMovingAverage;
  ma.decay = 0.95;
  const auto est = scg::grad(n.cost, n.params(), ma);
  const auto exact = scg::grad(scg::expectation(n.cost), n.params());
  scg::Session s(n.g, 2);
  const auto ex = scg_test::values(s, exact);
  for (int i = 0; i < 200; ++i) s.run(est);  // let the average settle
  const auto mc = scg_test::sample_moments(s, est, 40000);
  scg_test::check_within(mc, ex, 4.0);
  const auto mc0 = scg_test::sample_moments(s, plain, 40000);
  std::printf("moving average (Monte-Carlo, 40000 runs): variance w0 %.5f -> %.5f, b0 %.5f -> %.5f\n",
              mc0.var[0], mc.var[0], mc0.var[1], mc.var[1]);
  // Theory: each row's term is (c - b)(B - p) with c = B s^2/4; at b = E[c] its variance is
  // [(1-p)^3 + p^3 - p(1-p)] / (1-p)^2 = 0.011 of the plain one (p = sigmoid(0.1)); the
  // average's own fluctuation (decay 0.95) adds a little. Measured: 0.01.
  CHECK(mc.var[0] < 0.05 * mc0.var[0]);
  CHECK(mc.var[1] < 0.05 * mc0.var[1]);
}

TEST_CASE("learned baseline: trained through the same grad, unbiased, lower variance") {
  Model n;
  // Input-dependent: one value per row, a linear function of that row's x.
  const auto bw = n.g.parameter("baseline.w", 0.0), bb = n.g.parameter("baseline.b", 0.0);
  const auto bl = bw * n.x + bb;
  scg::GradOptions opt;
  opt.learned = {{n.b, bl}};
  auto params = n.params();
  params.push_back(bw);
  params.push_back(bb);
  const auto est = scg::grad(n.cost, params, opt);
  const auto plain = scg::grad(n.cost, n.params());
  const auto exact = scg::grad(scg::expectation(n.cost), n.params());
  scg::Session s(n.g, 3);
  // Train only the baseline: it regresses on the per-row cost that multiplies each row's
  // score, whose mean is E[C_x] / copies for a row holding x.
  scg::Sgd sgd({bw, bb}, 0.05);
  for (int i = 0; i < 4000; ++i) {
    const auto& gr = s.run(std::vector<scg::Var>{est[4], est[5]});
    sgd.step(gr);
  }
  const auto row_cost = s.run(scg::expectation(scg::square((1.0 - n.x) - n.b * scg::sigmoid(n.w1 * n.x + n.b1))));
  const auto fitted = s.run(bl);
  CHECK(fitted(0, 0) == doctest::Approx(row_cost(0, 0) / kCopies).epsilon(0.1));
  CHECK(fitted(7, 0) == doctest::Approx(row_cost(7, 0) / kCopies).epsilon(0.1));
  const std::vector<scg::Var> model_est(est.begin(), est.begin() + 4);
  std::vector<double> m0, v0, m1, v1;
  exact_moments(s, plain, m0, v0);
  exact_moments(s, model_est, m1, v1);
  const auto ex = scg_test::values(s, exact);
  for (int i = 0; i < 4; ++i) CHECK(m1[i] == doctest::Approx(ex[i]).epsilon(1e-10));
  std::printf("learned baseline (exact, by enumeration): variance w0 %.5f -> %.5f, b0 %.5f -> %.5f\n",
              v0[0], v1[0], v0[1], v1[1]);
  // At the per-input mean the ratio for w0 would be that of the moving-average case with no
  // noise, 0.011 of the x = 1 rows' share; SGD leaves the fit within a few percent.
  CHECK(v1[0] < 0.5 * v0[0]);
  CHECK(v1[1] < 0.5 * v0[1]);
}

TEST_CASE("baseline misuse is reported") {
  Model n;
  scg::GradOptions bad_group;
  bad_group.baseline = scg::Baseline::kLeaveOneOut;
  bad_group.group_size = 3;  // 8 rows
  CHECK_THROWS_AS(scg::grad(n.cost, n.params(), bad_group), scg::Error);
  scg::GradOptions self;
  self.learned = {{n.b, scg::sum(n.b) * 0.1}};  // depends on its own choice: biased
  CHECK_THROWS_WITH_AS(scg::grad(n.cost, n.params(), self),
                       doctest::Contains("depends on the choice"), scg::Error);
  // A choice mixed across rows cannot take a leave-one-out baseline.
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor(4, 1, 0.1));
  auto b = scg::bernoulli(l);
  auto mixed = scg::sum(scg::square(scg::matmul(scg::transpose(b), b)));
  scg::GradOptions loo;
  loo.baseline = scg::Baseline::kLeaveOneOut;
  CHECK_THROWS_WITH_AS(scg::grad(mixed, {l}, loo), doctest::Contains("mix rows"), scg::Error);
}
