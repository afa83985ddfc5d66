// Estimator::kDreg on the Gaussian model of iwae_gauss.hpp (K = 2 samples). The estimators'
// exact means and variances are integrals over the noise (eps_1, eps_2), taken by quadrature
// (the samples fed at each node): DReG's mean equals the plain IWAE gradient's and the
// derivative of the bound itself; its variance is lower for the encoder's parameters; the
// decoder's parameter gets exactly the plain gradient at every sample. Then Monte Carlo, and
// the errors.
#include <cmath>
#include <vector>

#include "../mc.hpp"
#include "iwae_gauss.hpp"

namespace {
using iwae_gauss::build;
using iwae_gauss::Gauss;
using iwae_gauss::kLogSigma;
using iwae_gauss::kMu;
using iwae_gauss::ld;
using iwae_gauss::quadrature;
using scg::Var;
}  // namespace

TEST_CASE(
    "DReG: the plain IWAE gradient's mean, less encoder variance, the same decoder gradient") {
  scg::Graph g;
  const Gauss m = build(g);
  scg::GradOptions dreg;
  dreg.estimators = {{m.z, scg::Estimator::kDreg}};
  const Var plain = scg::grad(m.cost, {m.theta})[0], est = scg::grad(m.cost, {m.theta}, dreg)[0];
  scg::Session s(g, 1);
  std::array<ld, 3> mean_p{}, mean_d{}, sq_p{}, sq_d{};
  ld max_decoder_gap = 0;
  const ld sigma = std::exp(static_cast<ld>(kLogSigma));
  quadrature([&](double e1, double e2, double w) {
    const scg::Tensor z = scg::Tensor::from_rows(
        {{static_cast<double>(kMu + sigma * e1)}, {static_cast<double>(kMu + sigma * e2)}});
    const auto v = s.run({plain, est}, {{m.z, z}});
    for (int i = 0; i < 3; ++i) {
      const ld p = v[0](0, i), d = v[1](0, i);
      mean_p[i] += w * p, mean_d[i] += w * d, sq_p[i] += w * p * p, sq_d[i] += w * d * d;
    }
    max_decoder_gap =
        std::max(max_decoder_gap, std::fabs(static_cast<ld>(v[0](0, 2)) - v[1](0, 2)));
  });
  // The derivative of the expected bound, by central differences of its quadrature.
  const std::array<ld, 3> fd = iwae_gauss::exact_gradient();
  for (int i = 0; i < 3; ++i) {
    const double exact = static_cast<double>(fd[i]);
    CAPTURE(i);
    CHECK(static_cast<double>(mean_p[i]) == doctest::Approx(exact).epsilon(1e-7));
    CHECK(static_cast<double>(mean_d[i]) == doctest::Approx(exact).epsilon(1e-7));
  }
  for (int i = 0; i < 2; ++i) {  // the encoder: mu, log sigma
    const ld var_p = sq_p[i] - mean_p[i] * mean_p[i], var_d = sq_d[i] - mean_d[i] * mean_d[i];
    MESSAGE("encoder parameter " << i << ": variance plain " << static_cast<double>(var_p)
                                 << ", DReG " << static_cast<double>(var_d));
    CHECK(var_d < var_p);
  }
  CHECK(max_decoder_gap < 1e-12);
  // Monte Carlo: the sampled mean within 5 standard errors of the exact one.
  const auto mc = scg_test::sample_moments(s, {est}, 20000);
  for (int i = 0; i < 3; ++i)
    CHECK(std::fabs(mc.mean[i] - static_cast<double>(mean_d[i])) <= 5 * mc.se[i]);
}

TEST_CASE("DReG refuses what it cannot answer, and a second derivative") {
  scg::GradOptions dreg;
  SUBCASE("a score-function node") {
    scg::Graph g;
    const Var t = g.parameter("t", 0.2);
    const Var b = scg::bernoulli(t);
    dreg.estimators = {{b, scg::Estimator::kDreg}};
    CHECK_THROWS_WITH_AS(scg::grad(scg::square(b - 0.3), {t}, dreg),
                         doctest::Contains("reparameterized"), scg::Error);
  }
  SUBCASE("a sample outside a multi-sample bound") {
    scg::Graph g;
    const Var mu = g.parameter("mu", 0.2);
    const Var z = scg::normal(mu, g.constant(1.0));
    dreg.estimators = {{z, scg::Estimator::kDreg}};
    CHECK_THROWS_WITH_AS(scg::grad(scg::square(z - 0.3), {mu}, dreg),
                         doctest::Contains("no log_mean_exp bound"), scg::Error);
  }
  SUBCASE("log q written out by hand, not log_prob(z)") {
    scg::Graph g;
    const Gauss m = build(g, true);
    dreg.estimators = {{m.z, scg::Estimator::kDreg}};
    CHECK_THROWS_WITH_AS(scg::grad(m.cost, {m.theta}, dreg), doctest::Contains("log_prob"),
                         scg::Error);
  }
  SUBCASE("a cost not linear in the bound") {
    scg::Graph g;
    const Gauss m = build(g);
    dreg.estimators = {{m.z, scg::Estimator::kDreg}};
    CHECK_THROWS_WITH_AS(scg::grad(scg::square(m.cost), {m.theta}, dreg),
                         doctest::Contains("not linearly"), scg::Error);
  }
  SUBCASE("a second derivative") {
    scg::Graph g;
    const Gauss m = build(g);
    dreg.estimators = {{m.z, scg::Estimator::kDreg}};
    const Var d = scg::grad(m.cost, {m.theta}, dreg)[0];
    CHECK_THROWS_WITH_AS(scg::grad(scg::sum(d), {m.theta}), doctest::Contains("first-order"),
                         scg::Error);
  }
}
