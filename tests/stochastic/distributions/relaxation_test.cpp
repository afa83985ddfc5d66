// Relaxations (binary Concrete, Gumbel-softmax, straight-through): their gradient estimates'
// means equal their own (biased) expectations computed here by quadrature over the noise; the
// binary Concrete density integrates to 1; Gumbel-max frequencies. RELAX: unbiased for the
// discrete model with any control variate, and its variance falls when the control variate's
// parameter is trained by grad(sum(square(estimate)), phi).
#include <cmath>
#include <functional>

#include "../mc.hpp"

namespace {
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double toy(double b) { return (b - 0.45) * (b - 0.45); }

/// Midpoint rule on (0, 1) with n points (the integrands here are bounded).
double integrate01(const std::function<double(double)>& f, int n = 400000) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += f((i + 0.5) / n);
  return s / n;
}
}  // namespace

TEST_CASE("relaxed_bernoulli: the estimator's mean is its own expectation by quadrature, biased for the discrete model") {
  const double theta0 = 0.3, t = 0.5;
  const double exact_discrete = sig(theta0) * (1 - sig(theta0)) * (toy(1) - toy(0));
  auto y_of = [&](double u) { return sig((theta0 + std::log(u) - std::log1p(-u)) / t); };
  // Soft: d/dtheta E[f(y)] = E[f'(y) y (1 - y) / t]. Straight-through: f'(H(y)) y (1 - y) / t.
  const double soft = integrate01([&](double u) { const double y = y_of(u); return 2 * (y - 0.45) * y * (1 - y) / t; });
  const double st = integrate01([&](double u) {
    const double y = y_of(u), h = y > 0.5 ? 1.0 : 0.0;
    return 2 * (h - 0.45) * y * (1 - y) / t;
  });
  scg::Graph g;
  auto theta = g.parameter("theta", theta0);
  auto y = scg::relaxed_bernoulli(theta, t);
  auto yh = scg::relaxed_bernoulli(theta, t, true);
  const auto d_soft = scg::grad(scg::square(y - 0.45), {theta})[0];
  const auto d_st = scg::grad(scg::square(yh - 0.45), {theta})[0];
  scg::Session s(g, 12);
  const auto mc = scg_test::sample_moments(s, {d_soft, d_st}, 100000);
  scg_test::check_within(mc, {soft, st}, 5.0);
  // Both are biased for d/dtheta E[f(b)], b ~ Bernoulli(sigmoid(theta)): by more than 10 SE.
  CHECK(std::fabs(mc.mean[0] - exact_discrete) > 10 * mc.se[0]);
  CHECK(std::fabs(mc.mean[1] - exact_discrete) > 10 * mc.se[1]);
  MESSAGE("toy, t = 0.5: exact " << exact_discrete << ", relaxed mean " << soft << ", straight-through mean " << st);
  // The hard value is the discrete sample (0 or 1), distributed as Bernoulli(sigmoid(theta)).
  double ones = 0;
  for (int r = 0; r < 20000; ++r) {
    const double v = s.run(yh).item();
    REQUIRE((v == 0.0 || v == 1.0));
    ones += v;
  }
  CHECK(std::fabs(ones / 20000 - sig(theta0)) < 5 * std::sqrt(sig(theta0) * (1 - sig(theta0)) / 20000));
}

TEST_CASE("the binary Concrete density integrates to 1; Gumbel-softmax's hard rows are categorical") {
  scg::Graph g;
  auto l = g.parameter("l", 0.7);
  const double t = 0.6;
  const scg::Var y = scg::relaxed_bernoulli(l, t);
  auto yin = g.input("y", 1, 1);
  const scg::Var params[] = {l};
  const scg::Var lp = scg::stochastic_op(y)->log_prob(params, yin);
  scg::Session s(g, 1);
  // Over x = logit(y) (dy = y (1 - y) dx), where the integrand is smooth and decays like
  // e^(-0.6 |x|): the trapezoid rule on [-30, 30] (the tails beyond hold about 1e-8).
  double total = 0;
  const int n = 6000;
  for (int i = 0; i <= n; ++i) {
    const double x = -30.0 + 60.0 * i / n, v = sig(x);
    const scg::Tensor in(v);
    total += (i == 0 || i == n ? 0.5 : 1.0) * std::exp(s.run(lp, {{yin, in}}).item()) * v * (1 - v);
  }
  total *= 60.0 / n;
  CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
  // Gumbel-max: argmax(l + G) is categorical(softmax(l)).
  auto logits = g.constant(scg::Tensor::from_rows({{0.5, -1.0, 1.2}}));
  auto hard = scg::relaxed_categorical(logits, 0.3, true);
  const double z = std::exp(0.5) + std::exp(-1.0) + std::exp(1.2);
  const auto mc = scg_test::sample_moments(s, {hard}, 30000);
  scg_test::check_within(mc, {std::exp(0.5) / z, std::exp(-1.0) / z, std::exp(1.2) / z}, 5.0);
  // Soft rows lie on the simplex, and the straight-through gradient flows to the logits.
  auto lg = g.parameter("lg", scg::Tensor::from_rows({{0.5, -1.0, 1.2}}));
  auto soft = scg::relaxed_categorical(lg, 0.3);
  CHECK(s.run(scg::sum(soft)).item() == doctest::Approx(1.0).epsilon(1e-12));
  auto w = g.constant(scg::Tensor::from_rows({{1.0}, {2.0}, {-3.0}}));
  const auto dst = scg::grad(scg::sum(scg::matmul(scg::relaxed_categorical(lg, 0.3, true), w)), {lg})[0];
  CHECK(s.run(dst).all_finite());
  CHECK_THROWS_WITH_AS(scg::relaxed_bernoulli(l, 0.0), doctest::Contains("temperature"), scg::Error);
}

TEST_CASE("RELAX: unbiased with any control variate; training the control variate cuts the variance") {
  const double theta0 = 0.3, exact = sig(theta0) * (1 - sig(theta0)) * (toy(1) - toy(0));
  scg::Graph g;
  auto theta = g.parameter("theta", theta0);
  // The control variate c(z) = eta0 + eta1 f(z): a constant part (a baseline) and REBAR's
  // eta f(sigma(zeta / t)).
  auto eta0 = g.parameter("eta0", 0.0), eta1 = g.parameter("eta1", 1.0);
  auto b = scg::bernoulli(theta);
  auto cost = scg::square(b - 0.45);
  scg::GradOptions opt;
  opt.estimators = {{b, scg::Estimator::kRelax}};
  opt.control_variates = {{b, [&](const scg::Var& z) { return eta0 + eta1 * scg::square(z - 0.45); }, 0.5}};
  const auto est = scg::grad(cost, {theta}, opt)[0];
  const auto score = scg::grad(cost, {theta})[0];
  const auto d_eta = scg::grad(scg::square(est), {eta0, eta1});  // the variance's gradient
  scg::Session s(g, 13);
  const auto mc1 = scg_test::sample_moments(s, {est}, 100000);  // unbiased before training too
  scg_test::check_within(mc1, {exact}, 5.0);
  // Train the control variate by minimizing the estimator's second moment (its mean does not
  // depend on eta).
  scg::Adam adam({eta0, eta1}, 0.02);
  for (int i = 0; i < 600; ++i) adam.step(s.run(d_eta));
  const auto trained = scg_test::sample_moments(s, {est, score}, 100000);
  scg_test::check_within(trained, {exact, exact}, 5.0);
  MESSAGE("RELAX toy: eta0 " << eta0.value().item() << ", eta1 " << eta1.value().item() << ", variance "
                              << trained.var[0] << " vs score " << trained.var[1]);
  CHECK(trained.var[0] < 0.5 * trained.var[1]);
  // Errors: no control variate entry; a control variate of the wrong shape; not a bernoulli.
  scg::GradOptions none;
  none.estimators = {{b, scg::Estimator::kRelax}};
  CHECK_THROWS_WITH_AS(scg::grad(cost, {theta}, none), doctest::Contains("control_variates"), scg::Error);
  scg::GradOptions bad = opt;
  bad.control_variates[0].build = [](const scg::Var& z) { return scg::broadcast_to(z, {2, 2}); };
  CHECK_THROWS_AS(scg::grad(cost, {theta}, bad), scg::ShapeError);
  CHECK_THROWS_WITH_AS(scg::grad(scg::grad(cost, {theta}, opt)[0], {theta}), doctest::Contains("first-order"), scg::Error);
}

TEST_CASE("RELAX for a categorical node: unbiased with any control variate (Gumbel relaxation given the choice)") {
  // Two rows of three states; f(b) = sum over rows of (b . t - 0.3)^2 + b . u; exact gradient by
  // expectation. Control variates: REBAR's eta f(softmax(y / tau)) with eta = 1, and a
  // deliberately poor one (a constant plus a different function), both unbiased.
  scg::Graph g;
  const scg::Var l = g.parameter("l", scg::Tensor::from_rows({{0.4, -0.3, 0.9}, {-0.8, 0.2, 0.1}}));
  const scg::Var t = g.constant(scg::Tensor::from_rows({{1.0}, {-0.5}, {2.0}}));
  const scg::Var u = g.constant(scg::Tensor::from_rows({{0.3, -1.0, 0.6}, {0.0, 0.5, -0.4}}));
  auto f = [&](const scg::Var& x) { return scg::sum(scg::square(scg::matmul(x, t) - 0.3)) + scg::sum(x * u); };
  const scg::Var b = scg::categorical(l);
  const scg::Var cost = f(b);
  const scg::Var exact = scg::grad(scg::expectation(cost), {l})[0];
  scg::Session s(g, 17);
  const scg::Tensor want = s.run(exact);
  std::vector<double> want_flat(want.data(), want.data() + want.shape().size());
  for (int which = 0; which < 2; ++which) {
    scg::GradOptions opt;
    opt.estimators = {{b, scg::Estimator::kRelax}};
    if (which == 0)
      opt.control_variates = {{b, f, 0.5}};
    else
      opt.control_variates = {{b, [&](const scg::Var& z) { return 1.5 + scg::sum(scg::exp(z) * u) * 2.0; }, 0.3}};
    const auto est = scg::grad(cost, {l}, opt)[0];
    INFO("control variate " << which);
    scg_test::check_within(scg_test::sample_moments(s, {est}, 100000), want_flat, 5.0);
  }
  // Logits made by broadcasting one row to the node's rows work too (grad w.r.t. another node).
  const scg::Var b1 = scg::categorical(g.parameter("l1", scg::Tensor::from_rows({{0.1, 0.2, 0.3}})) +
                                       g.constant(scg::Tensor(2, 3)));
  scg::GradOptions ok;
  ok.estimators = {{b1, scg::Estimator::kRelax}};
  ok.control_variates = {{b1, f, 0.5}};
  CHECK_NOTHROW(scg::grad(f(b1), {l}, ok));
}
