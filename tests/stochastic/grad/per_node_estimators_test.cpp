// Per-node estimators (GradOptions::estimators): DisARM on antithetic pairs and local
// enumeration, against exact gradients (closed forms and expectation of a twin graph built
// with plain bernoulli) on three models; the exact variance of DisARM and of the leave-one-out
// score estimator on the toy f(b) = (b - 0.45)^2, integrated over the uniform's regions or
// enumerated, against the sampled variance; enumeration's variance exactly 0; errors.
#include <cmath>

#include "../mc.hpp"

namespace {
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double toy(double b) { return (b - 0.45) * (b - 0.45); }

/// Sampled mean and variance of a 1x1 node over `runs` runs.
std::pair<double, double> mean_var(scg::Session& s, const scg::Var& v, int runs) {
  const auto m = scg_test::sample_moments(s, {v}, runs);
  return {m.mean[0], m.var[0]};
}
}  // namespace

TEST_CASE("DisARM on the toy: unbiased, and its variance is the one integrated over u") {
  for (double theta0 : {0.3, -1.2}) {
    INFO("theta = " << theta0);
    const double p = sig(theta0), exact = p * (1 - p) * (toy(1) - toy(0));
    scg::Graph g;
    auto theta = g.parameter("theta", theta0);
    auto z = scg::bernoulli_pairs(scg::broadcast_to(theta, {2, 1}));
    auto cost = scg::mean(scg::square(z - 0.45));  // E[cost] = E[f(b)]
    scg::GradOptions opt;
    opt.estimators = {{z, scg::Estimator::kDisarm}};
    const auto est = scg::grad(cost, {theta}, opt)[0];
    // The estimate as a function of the pair's uniform u: b = [u < p], b~ = [1 - u < p];
    // g(u) = (f(b) - f(b~))/2 (-1)^b~ [b != b~] sigmoid(|theta|), piecewise constant in u on
    // (0, min(p,1-p)), (min, max), (max(p,1-p), 1). Integrate g and g^2 over those regions.
    const double lo = std::min(p, 1 - p), hi = std::max(p, 1 - p);
    double m1 = 0, m2 = 0;
    for (auto [a, b] : {std::pair{0.0, lo}, std::pair{lo, hi}, std::pair{hi, 1.0}}) {
      const double u = 0.5 * (a + b);
      const double x = u < p ? 1 : 0, xt = 1 - u < p ? 1 : 0;
      const double gu = x == xt ? 0.0 : 0.5 * (toy(x) - toy(xt)) * (xt == 1 ? -1 : 1) * sig(std::fabs(theta0));
      m1 += (b - a) * gu, m2 += (b - a) * gu * gu;
    }
    CHECK(m1 == doctest::Approx(exact).epsilon(1e-12));  // the integral is the exact gradient
    const double var_exact = m2 - m1 * m1;
    scg::Session s(g, 5);
    const auto [mean, var] = mean_var(s, est, 200000);
    CHECK(std::fabs(mean - exact) <= 5 * std::sqrt(var_exact / 200000));
    CHECK(var == doctest::Approx(var_exact).epsilon(0.05));
    MESSAGE("DisARM toy theta " << theta0 << ": variance " << var << " (exact " << var_exact << ")");
  }
}

TEST_CASE("leave-one-out score estimator on the toy: variance by enumeration of both samples") {
  const double theta0 = 0.3, p = sig(theta0), exact = p * (1 - p) * (toy(1) - toy(0));
  scg::Graph g;
  auto theta = g.parameter("theta", theta0);
  auto z = scg::bernoulli(scg::broadcast_to(theta, {2, 1}));
  auto cost = scg::mean(scg::square(z - 0.45));
  scg::GradOptions opt;
  opt.baseline = scg::Baseline::kLeaveOneOut;
  const auto est = scg::grad(cost, {theta}, opt)[0];
  // g = sum_r (f_r - f_other) / 2 (b_r - p): enumerate the four states.
  double m1 = 0, m2 = 0;
  for (int b1 = 0; b1 < 2; ++b1)
    for (int b2 = 0; b2 < 2; ++b2) {
      const double pr = (b1 ? p : 1 - p) * (b2 ? p : 1 - p);
      const double gv = 0.5 * (toy(b1) - toy(b2)) * (b1 - p) + 0.5 * (toy(b2) - toy(b1)) * (b2 - p);
      m1 += pr * gv, m2 += pr * gv * gv;
    }
  CHECK(m1 == doctest::Approx(exact).epsilon(1e-12));
  scg::Session s(g, 6);
  const auto [mean, var] = mean_var(s, est, 200000);
  CHECK(std::fabs(mean - exact) <= 5 * std::sqrt((m2 - m1 * m1) / 200000));
  CHECK(var == doctest::Approx(m2 - m1 * m1).epsilon(0.05));
  CHECK(s.run(scg::expectation(est)).item() == doctest::Approx(exact).epsilon(1e-12));
}

TEST_CASE("a 3-dimensional non-separable Bernoulli cost: DisARM and enumeration vs the exact gradient") {
  // f(b) = (b1 + 2 b2 b3 - 0.7)^2 + b1 b3, logits theta (1x3). The exact gradient from
  // expectation of a twin graph with plain bernoulli.
  const scg::Tensor t0 = scg::Tensor::from_rows({{0.4, -0.8, 1.1}});
  auto f = [](const scg::Var& b) {
    const scg::Var b1 = scg::slice_cols(b, 0, 1), b2 = scg::slice_cols(b, 1, 1), b3 = scg::slice_cols(b, 2, 1);
    return scg::square(b1 + 2.0 * b2 * b3 - 0.7) + b1 * b3;  // rows x 1
  };
  scg::Graph g;
  auto theta = g.parameter("theta", t0);
  auto exact = scg::grad(scg::expectation(scg::sum(f(scg::bernoulli(theta)))), {theta})[0];
  auto pairs = scg::bernoulli_pairs(scg::broadcast_to(theta, {2, 3}));
  scg::GradOptions disarm;
  disarm.estimators = {{pairs, scg::Estimator::kDisarm}};
  const auto g_disarm = scg::grad(scg::mean(f(pairs)), {theta}, disarm)[0];
  auto single = scg::bernoulli(theta);
  scg::GradOptions enumerate;
  enumerate.estimators = {{single, scg::Estimator::kEnumerate}};
  const auto g_enum = scg::grad(scg::sum(f(single)), {theta}, enumerate)[0];
  const auto g_score = scg::grad(scg::sum(f(single)), {theta})[0];
  scg::Session s(g, 8);
  const scg::Tensor want = s.run(exact);
  std::vector<double> w(want.data(), want.data() + 3);
  const auto mc = scg_test::sample_moments(s, {g_disarm, g_score}, 40000);
  scg_test::check_within(mc, {w[0], w[1], w[2], w[0], w[1], w[2]}, 5.0);
  // Enumeration per element: still random through the other elements, unbiased.
  scg_test::check_within(scg_test::sample_moments(s, {g_enum}, 20000), w, 5.0);
  MESSAGE("3-dim: variance DisARM " << mc.var[0] << ", score " << mc.var[3]);
}

TEST_CASE("enumeration of a categorical and of a lone Bernoulli: the exact gradient, variance 0") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor::from_rows({{0.2, -0.5, 0.9, 0.1}}));
  auto wts = g.constant(scg::Tensor::from_rows({{1.0}, {-2.0}, {0.5}, {3.0}}));
  auto c = scg::categorical(l);
  auto cost = scg::sum(scg::square(scg::matmul(c, wts) - 0.3));
  scg::GradOptions opt;
  opt.estimators = {{c, scg::Estimator::kEnumerate}};
  const auto est = scg::grad(cost, {l}, opt)[0];
  const auto exact = scg::grad(scg::expectation(cost), {l})[0];
  auto theta = g.parameter("theta", 0.3);
  auto b = scg::bernoulli(theta);
  scg::GradOptions ob;
  ob.estimators = {{b, scg::Estimator::kEnumerate}};
  const auto toy_est = scg::grad(scg::square(b - 0.45), {theta}, ob)[0];
  scg::Session s(g, 9);
  const scg::Tensor want = s.run(exact);
  const double p = sig(0.3);
  for (int r = 0; r < 50; ++r) {
    const auto& v = s.run(std::vector<scg::Var>{est, toy_est});
    CHECK(v[0].matrix().isApprox(want.matrix(), 1e-12));
    CHECK(v[1].item() == doctest::Approx(p * (1 - p) * (toy(1) - toy(0))).epsilon(1e-12));
  }
}

TEST_CASE("per-node estimators refuse what they cannot do, naming the node") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor(2, 3));
  auto plain = scg::bernoulli(l);
  auto pairs = scg::bernoulli_pairs(l);
  scg::GradOptions o;
  o.estimators = {{plain, scg::Estimator::kDisarm}};
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(plain), {l}, o), doctest::Contains("not a bernoulli_pairs node"), scg::Error);
  o.estimators = {{pairs, scg::Estimator::kDisarm}};
  CHECK_THROWS_WITH_AS(scg::grad(scg::square(scg::sum(pairs)), {l}, o), doctest::Contains("mix rows"), scg::Error);
  // A pair whose logits differ at run time.
  auto uneven = scg::bernoulli_pairs(g.parameter("u", scg::Tensor::from_rows({{0.1}, {0.2}})));
  scg::Session s(g, 1);
  CHECK_THROWS_WITH_AS(s.run(uneven), doctest::Contains("must share their logits"), scg::Error);
  CHECK_THROWS_AS(scg::bernoulli_pairs(g.parameter("odd", scg::Tensor(3, 1))), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::expectation(scg::sum(pairs)), doctest::Contains("coupled"), scg::Error);
  // Enumeration: the limit, a choice downstream, a continuous node.
  o.estimators = {{plain, scg::Estimator::kEnumerate}};
  o.max_enumerated = 4;
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(plain), {l}, o), doctest::Contains("needs 6 evaluations"), scg::Error);
  o.max_enumerated = 1024;
  auto downstream = scg::bernoulli(plain * 2.0);
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(downstream), {l}, o), doctest::Contains("depends on it"), scg::Error);
  auto z = scg::normal(l, g.constant(1.0));
  o.estimators = {{z, scg::Estimator::kEnumerate}};
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(z), {l}, o), doctest::Contains("discrete nodes only"), scg::Error);
}
