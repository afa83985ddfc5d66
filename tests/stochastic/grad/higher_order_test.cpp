// Gradients of objectives that contain gradient estimates (a gradient penalty, a lookahead
// step as in LOLA or MAML): closed forms written here, checked three ways: exactly (the mean
// of the estimator by expectation), through grad(expectation(...)), and by Monte Carlo.
// The rule behind them is in docs/higher_order.md.
#include <cmath>
#include <functional>

#include "../mc.hpp"

namespace {

using LD = long double;
LD sig(LD x) { return 1.0L / (1.0L + std::exp(-x)); }

/// f'(x) and f''(x) of a smooth closed form by five-point central differences in long double:
/// truncation O(h^4) ~ 1e-12 and rounding ~ 1e-19 / h^k ~ 1e-13 at h = 1e-3 (k = 2).
LD d1(const std::function<LD(LD)>& f, LD x, LD h = 1e-3L) {
  return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h);
}
LD d2(const std::function<LD(LD)>& f, LD x, LD h = 1e-3L) {
  return (-f(x - 2 * h) + 16 * f(x - h) - 30 * f(x) + 16 * f(x + h) - f(x + 2 * h)) / (12 * h * h);
}

// ---- the gradient penalty of the issue: c = (b - 0.8)^2 e^phi, gh = grad(c), cost2 = gh^2 ----
// gh(b) = d/dphi c + c d log p(b) = (b - 0.8)^2 e^phi (1 + b - sig(phi)).
LD gh(LD b, LD phi) { return (b - 0.8L) * (b - 0.8L) * std::exp(phi) * (1 + b - sig(phi)); }
/// E[cost2](phi) = sum over b of p(b) gh(b)^2.
LD penalty(LD phi) { return sig(phi) * std::pow(gh(1, phi), 2) + (1 - sig(phi)) * std::pow(gh(0, phi), 2); }

struct Penalty {
  scg::Graph g;
  scg::Var phi = g.parameter("phi", 0.3);
  scg::Var b = scg::bernoulli(phi);
  scg::Var cost = scg::square(b - 0.8) * scg::exp(phi);
  scg::Var gh = scg::grad(cost, {phi})[0];
  scg::Var cost2 = scg::square(gh);
};

// ---- the lookahead: theta2 = theta - 0.5 grad(inner), b2 ~ Bern(sig(theta2)) ----
// inner = (b1 - 0.2)^2 e^theta, so grad(inner)(b1) = (b1 - 0.2)^2 e^theta (1 + b1 - sig(theta)).
LD theta2(LD b1, LD theta) {
  return theta - 0.5L * (b1 - 0.2L) * (b1 - 0.2L) * std::exp(theta) * (1 + b1 - sig(theta));
}
/// E[outer](theta) = sum over b1 of p(b1) sum over b2 of p(b2 | theta2(b1)) (b2 + theta2)^2.
LD lookahead(LD theta) {
  LD e = 0;
  for (int b1 = 0; b1 < 2; ++b1) {
    const LD t2 = theta2(b1, theta), p1 = b1 ? sig(theta) : 1 - sig(theta);
    e += p1 * (sig(t2) * (1 + t2) * (1 + t2) + (1 - sig(t2)) * t2 * t2);
  }
  return e;
}

struct Lookahead {
  scg::Graph g;
  scg::Var theta = g.parameter("theta", 0.4);
  scg::Var b1 = scg::bernoulli(theta);
  scg::Var inner = scg::square(b1 - 0.2) * scg::exp(theta);
  scg::Var theta2 = theta - 0.5 * scg::grad(inner, {theta})[0];
  scg::Var b2 = scg::bernoulli(theta2);
  scg::Var outer = scg::square(b2 + theta2);
};

}  // namespace

TEST_CASE("a gradient penalty: d/dphi E[grad(c)^2], exactly and by Monte Carlo") {
  const double truth = static_cast<double>(d1(penalty, 0.3L));
  CHECK(truth == doctest::Approx(0.023002).epsilon(1e-4));  // the figure
  Penalty m;
  const scg::Var est = scg::grad(m.cost2, {m.phi})[0];
  const scg::Var exact_mean = scg::expectation(est);               // E[estimator], exactly
  const scg::Var exact_grad = scg::grad(scg::expectation(m.cost2), {m.phi})[0];
  scg::Session s(m.g, 5);
  CHECK(s.run(scg::expectation(m.cost2)).item() == doctest::Approx(static_cast<double>(penalty(0.3L))).epsilon(1e-12));
  CHECK(s.run(exact_mean).item() == doctest::Approx(truth).epsilon(1e-9));
  CHECK(s.run(exact_grad).item() == doctest::Approx(truth).epsilon(1e-9));
  scg_test::check_within(scg_test::sample_moments(s, {est}, 40000), {truth}, 5.0);
}

TEST_CASE("a lookahead step through a gradient estimate: exactly and by Monte Carlo") {
  const double truth = static_cast<double>(d1(lookahead, 0.4L));
  CHECK(truth == doctest::Approx(0.84964).epsilon(1e-4));  // the figure
  Lookahead m;
  const scg::Var est = scg::grad(m.outer, {m.theta})[0];
  scg::Session s(m.g, 6);
  CHECK(s.run(scg::expectation(m.outer)).item() == doctest::Approx(static_cast<double>(lookahead(0.4L))).epsilon(1e-12));
  CHECK(s.run(scg::expectation(est)).item() == doctest::Approx(truth).epsilon(1e-9));
  CHECK(s.run(scg::grad(scg::expectation(m.outer), {m.theta})[0]).item() == doctest::Approx(truth).epsilon(1e-9));
  scg_test::check_within(scg_test::sample_moments(s, {est}, 40000), {truth}, 5.0);
}

TEST_CASE("third order: d^2/dphi^2 of E[grad(c)^2], and d^3/dphi^3 E[c] by repeated grad") {
  Penalty m;
  // Nonlinear, then differentiated twice more: an estimate of d^2/dphi^2 E[gh^2].
  const scg::Var g1 = scg::grad(m.cost2, {m.phi})[0];
  const scg::Var g2 = scg::grad(g1, {m.phi})[0];
  const double truth2 = static_cast<double>(d2(penalty, 0.3L));
  // Linear all the way (DiCE's case): d^3/dphi^3 E[c], E[c] = 0.04 sig e^phi + 0.64 (1 - sig) e^phi.
  const auto ec = [](LD phi) { return (0.04L * sig(phi) + 0.64L * (1 - sig(phi))) * std::exp(phi); };
  const scg::Var c1 = m.gh, c2 = scg::grad(c1, {m.phi})[0], c3 = scg::grad(c2, {m.phi})[0];
  // The third derivative: d1 of the (five-point) second derivative.
  const double truth3 = static_cast<double>(d1([&](LD x) { return d2(ec, x); }, 0.3L, 1e-2L));
  scg::Session s(m.g, 7);
  CHECK(s.run(scg::expectation(g2)).item() == doctest::Approx(truth2).epsilon(1e-9));
  CHECK(s.run(scg::grad(scg::grad(scg::expectation(m.cost2), {m.phi})[0], {m.phi})[0]).item() ==
        doctest::Approx(truth2).epsilon(1e-9));
  CHECK(s.run(scg::expectation(c3)).item() == doctest::Approx(truth3).epsilon(1e-7));
  const auto mc = scg_test::sample_moments(s, {g2, c3}, 40000);
  scg_test::check_within(mc, {truth2, truth3}, 5.0);
}
