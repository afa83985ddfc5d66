// The distributions of issue 12 against closed forms: sample moments, log-densities (against
// Boost.Math's pdfs), pathwise and score gradients by Monte Carlo (5 standard errors), and
// kl_divergence and entropy (closed forms written here, and Monte-Carlo estimates from
// log_prob).
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/exponential.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/distributions/laplace.hpp>
#include <boost/math/distributions/poisson.hpp>
#include <boost/math/distributions/uniform.hpp>
#include <boost/math/special_functions/digamma.hpp>
#include <boost/math/special_functions/trigamma.hpp>
#include <cmath>
#include <functional>

#include "../mc.hpp"

namespace {

constexpr int kRows = 4000;  // samples per run, as rows

/// Mean and variance of the entries of one run of x (kRows x 1), and the standard error of the
/// mean; CHECKs them against the closed forms within 5 standard errors (the variance's standard
/// error from the fourth moment).
void check_moments(scg::Session& s, const scg::Var& x, double mean, double var, int runs = 5) {
  double m = 0, m2 = 0, m4 = 0;
  long n = 0;
  for (int r = 0; r < runs; ++r) {
    const scg::Tensor& t = s.run(x);
    for (Eigen::Index i = 0; i < t.rows(); ++i) {
      const double d = t(i, 0) - mean;
      m += d, m2 += d * d, m4 += d * d * d * d, ++n;
    }
  }
  const double mean_err = m / n, var_hat = m2 / n;
  INFO("mean " << mean + mean_err << " want " << mean << "; variance " << var_hat << " want " << var);
  CHECK(std::fabs(mean_err) <= 5 * std::sqrt(var / n));
  CHECK(std::fabs(var_hat - var) <= 5 * std::sqrt((m4 / n - var * var) / n));
}

/// log_prob of x's distribution at the constant value v, through the distribution's own
/// log_prob (as expectation builds it).
double log_prob_at(scg::Session& s, const scg::Var& x, double v) {
  scg::Graph& g = x.graph();
  std::vector<scg::Var> params;
  for (std::size_t in : g.inputs(x.id())) params.push_back(g.var(in));
  const scg::Var lp = scg::stochastic_op(x)->log_prob(params, g.constant(scg::Tensor(x.shape(), v)));
  return s.run(lp)(0, 0);
}

scg::Var rows(scg::Graph& g, double v) { return g.constant(scg::Tensor(kRows, 1, v)); }

}  // namespace

TEST_CASE("samples: means and variances of every new distribution") {
  scg::Graph g;
  scg::Session s(g, 21);
  check_moments(s, scg::gamma(rows(g, 2.5), g.constant(2.0)), 2.5 / 2, 2.5 / 4);
  check_moments(s, scg::gamma(rows(g, 0.3), g.constant(1.0)), 0.3, 0.3);  // shape < 1
  check_moments(s, scg::beta(rows(g, 2.0), g.constant(3.0)), 0.4, 6.0 / (25 * 6));
  check_moments(s, scg::poisson(rows(g, 3.5)), 3.5, 3.5);
  check_moments(s, scg::exponential(rows(g, 0.5)), 2.0, 4.0);
  check_moments(s, scg::uniform(rows(g, -1.0), g.constant(3.0)), 1.0, 16.0 / 12);
  check_moments(s, scg::laplace(rows(g, 0.7), g.constant(1.5)), 0.7, 2 * 1.5 * 1.5);
}

TEST_CASE("log_prob against Boost.Math's densities") {
  scg::Graph g;
  scg::Session s(g, 1);
  const auto close = [](double a, double b) { return doctest::Approx(b).epsilon(1e-12).scale(1.0) == a; };
  const scg::Var ga = scg::gamma(g.constant(2.5), g.constant(2.0));
  const scg::Var be = scg::beta(g.constant(2.0), g.constant(3.0));
  const scg::Var po = scg::poisson(g.constant(3.5));
  const scg::Var ex = scg::exponential(g.constant(0.5));
  const scg::Var un = scg::uniform(g.constant(-1.0), g.constant(3.0));
  const scg::Var la = scg::laplace(g.constant(0.7), g.constant(1.5));
  for (double v : {0.1, 0.9, 2.7}) {
    INFO("at " << v);
    CHECK(close(log_prob_at(s, ga, v), std::log(boost::math::pdf(boost::math::gamma_distribution<>(2.5, 0.5), v))));
    CHECK(close(log_prob_at(s, ex, v), std::log(boost::math::pdf(boost::math::exponential_distribution<>(0.5), v))));
    CHECK(close(log_prob_at(s, un, v), std::log(boost::math::pdf(boost::math::uniform_distribution<>(-1.0, 3.0), v))));
    CHECK(close(log_prob_at(s, la, v), std::log(boost::math::pdf(boost::math::laplace_distribution<>(0.7, 1.5), v))));
    if (v < 1) CHECK(close(log_prob_at(s, be, v), std::log(boost::math::pdf(boost::math::beta_distribution<>(2.0, 3.0), v))));
  }
  for (double k : {0.0, 1.0, 3.0, 9.0})
    CHECK(close(log_prob_at(s, po, k), std::log(boost::math::pdf(boost::math::poisson_distribution<>(3.5), k))));
}

TEST_CASE("pathwise gradients (implicit for gamma and beta) and poisson's score gradient") {
  // Each estimate is the mean over the rows of one run; the Monte-Carlo mean over runs must
  // be within 5 standard errors of the closed form.
  scg::Graph g;
  auto a = g.parameter("a", 2.5), b = g.parameter("b", 2.0);
  auto ones = g.constant(scg::Tensor(1000, 1, 1.0));  // 1000 samples a run (the implicit
                                                      // gradients cost Boost.Math evaluations)
  auto z = scg::gamma(a * ones, b);
  // E[z] = a / b; E[z^2] = a (a + 1) / b^2; E[log z] = digamma(a) - log b.
  const auto dz = scg::grad(scg::mean(z), {a, b});
  const auto dz2 = scg::grad(scg::mean(scg::square(z)), {a})[0];
  const auto dlog = scg::grad(scg::mean(scg::log(z)), {a})[0];
  auto small = g.parameter("small", 0.3);
  const auto dsmall = scg::grad(scg::mean(scg::gamma(small * ones, g.constant(1.0))), {small})[0];
  auto pa = g.parameter("pa", 2.0), pb = g.parameter("pb", 3.0);
  auto x = scg::beta(pa * ones, pb);
  const auto dx = scg::grad(scg::mean(x), {pa, pb});  // E[x] = a / (a + b)
  auto rate = g.parameter("rate", 3.5);
  const auto dpo = scg::grad(scg::mean(scg::square(scg::poisson(rate * ones))), {rate})[0];  // E[x^2] = l + l^2
  auto lam = g.parameter("lam", 0.5);
  const auto dex = scg::grad(scg::mean(scg::exponential(lam * ones)), {lam})[0];  // E = 1 / l
  auto lo = g.parameter("lo", -1.0), hi = g.parameter("hi", 3.0);
  const auto dun = scg::grad(scg::mean(scg::square(scg::uniform(lo * ones, hi))), {lo, hi});  // E[x^2] = (lo^2 + lo hi + hi^2) / 3
  auto loc = g.parameter("loc", 0.7), scale = g.parameter("scale", 1.5);
  auto lx = scg::laplace(loc * ones, scale);
  const auto dla = scg::grad(scg::mean(scg::abs(lx - loc)), {scale})[0];  // E|x - loc| = scale
  scg::Session s(g, 33);
  const auto mc = scg_test::sample_moments(
      s, {dz[0], dz[1], dz2, dlog, dsmall, dx[0], dx[1], dpo, dex, dun[0], dun[1], dla}, 60);
  scg_test::check_within(mc,
                         {1 / 2.0, -2.5 / 4, (2 * 2.5 + 1) / 4, boost::math::trigamma(2.5), 1.0,
                          3.0 / 25, -2.0 / 25, 1 + 2 * 3.5, -1 / 0.25, (2 * -1.0 + 3.0) / 3, (-1.0 + 2 * 3.0) / 3, 1.0},
                         5.0);
}

TEST_CASE("kl_divergence and entropy: closed forms, and Monte-Carlo estimates from log_prob") {
  scg::Graph g;
  struct Pair {
    const char* name;
    scg::Var q, p;
    double kl, h;  // closed forms written here
  };
  const double pi = M_PI, e1 = std::exp(1.0);
  using boost::math::digamma;
  auto lbeta = [](double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); };
  auto c = [&](double v) { return rows(g, v); };
  std::vector<Pair> pairs = {
      {"normal", scg::normal(c(0.3), g.constant(1.2)), scg::normal(c(-0.5), g.constant(0.8)),
       std::log(0.8 / 1.2) + (1.44 + 0.64) / (2 * 0.64) - 0.5, 0.5 * std::log(2 * pi * e1 * 1.44)},
      {"gamma", scg::gamma(c(2.5), g.constant(2.0)), scg::gamma(c(1.5), g.constant(0.7)),
       (2.5 - 1.5) * digamma(2.5) - std::lgamma(2.5) + std::lgamma(1.5) + 1.5 * (std::log(2.0) - std::log(0.7)) + 2.5 * (0.7 - 2.0) / 2.0,
       2.5 - std::log(2.0) + std::lgamma(2.5) + (1 - 2.5) * digamma(2.5)},
      {"beta", scg::beta(c(2.0), g.constant(3.0)), scg::beta(c(1.5), g.constant(1.2)),
       lbeta(1.5, 1.2) - lbeta(2.0, 3.0) + (2.0 - 1.5) * digamma(2.0) + (3.0 - 1.2) * digamma(3.0) + (1.5 - 2.0 + 1.2 - 3.0) * digamma(5.0),
       lbeta(2.0, 3.0) - 1.0 * digamma(2.0) - 2.0 * digamma(3.0) + 3.0 * digamma(5.0)},
      {"exponential", scg::exponential(c(0.5)), scg::exponential(c(1.7)), std::log(0.5 / 1.7) + 1.7 / 0.5 - 1, 1 - std::log(0.5)},
      {"uniform", scg::uniform(c(0.0), g.constant(1.0)), scg::uniform(c(-1.0), g.constant(2.0)), std::log(3.0), 0.0},
      {"laplace", scg::laplace(c(0.7), g.constant(1.5)), scg::laplace(c(-0.2), g.constant(0.9)),
       std::log(0.9 / 1.5) + 0.9 / 0.9 + 1.5 / 0.9 * std::exp(-0.9 / 1.5) - 1, 1 + std::log(3.0)},
  };
  scg::Session s(g, 44);
  for (const Pair& pr : pairs) {
    INFO(pr.name);
    const scg::Var kl = scg::kl_divergence(pr.q, pr.p), h = scg::entropy(pr.q);
    REQUIRE(kl.shape() == scg::log_prob(pr.q).shape());
    CHECK(s.run(kl)(0, 0) == doctest::Approx(pr.kl).epsilon(1e-12));
    CHECK(s.run(h)(0, 0) == doctest::Approx(pr.h).epsilon(1e-12));
    // Monte Carlo over the kRows samples of a run: KL = E_q[log q - log p(x)], H = -E_q[log q].
    // log p at q's samples: p's distribution applied to q's node.
    scg::Graph& gg = pr.q.graph();
    std::vector<scg::Var> pp;
    for (std::size_t in : gg.inputs(pr.p.id())) pp.push_back(gg.var(in));
    const scg::Var log_p = scg::stochastic_op(pr.p)->log_prob(pp, pr.q);
    const auto mc = scg_test::sample_moments(s, {scg::mean(scg::log_prob(pr.q) - log_p), scg::mean(-scg::log_prob(pr.q))}, 200);
    scg_test::check_within(mc, {pr.kl, pr.h}, 5.0);
  }
  // Discrete ones exactly, by enumeration: bernoulli logit 0.4 vs -1.1, categorical rows.
  const double sq = 1 / (1 + std::exp(-0.4)), sp = 1 / (1 + std::exp(1.1));
  auto bq = scg::bernoulli(g.constant(0.4)), bp = scg::bernoulli(g.constant(-1.1));
  CHECK(s.run(scg::kl_divergence(bq, bp)).item() ==
        doctest::Approx(sq * std::log(sq / sp) + (1 - sq) * std::log((1 - sq) / (1 - sp))).epsilon(1e-13));
  CHECK(s.run(scg::entropy(bq)).item() == doctest::Approx(-sq * std::log(sq) - (1 - sq) * std::log(1 - sq)).epsilon(1e-13));
  auto cq = scg::categorical(g.constant(scg::Tensor::from_rows({{0.1, 0.5, -0.3}})));
  auto cp = scg::categorical(g.constant(scg::Tensor::from_rows({{1.0, -0.2, 0.0}})));
  double zq = 0, zp = 0, kl = 0, h = 0;
  const double lq[3] = {0.1, 0.5, -0.3}, lp[3] = {1.0, -0.2, 0.0};
  for (int k = 0; k < 3; ++k) zq += std::exp(lq[k]), zp += std::exp(lp[k]);
  for (int k = 0; k < 3; ++k) {
    const double q = std::exp(lq[k]) / zq, p = std::exp(lp[k]) / zp;
    kl += q * std::log(q / p), h -= q * std::log(q);
  }
  CHECK(s.run(scg::kl_divergence(cq, cp)).item() == doctest::Approx(kl).epsilon(1e-13));
  CHECK(s.run(scg::entropy(cq)).item() == doctest::Approx(h).epsilon(1e-13));
  // Poisson: KL in closed form; no closed-form entropy.
  auto oq = scg::poisson(g.constant(2.0)), op = scg::poisson(g.constant(3.0));
  CHECK(s.run(scg::kl_divergence(oq, op)).item() == doctest::Approx(2 * std::log(2.0 / 3.0) - 2 + 3).epsilon(1e-13));
  CHECK_THROWS_WITH_AS(scg::entropy(oq), doctest::Contains("no closed form"), scg::Error);
  // Different families, different shapes, not stochastic.
  CHECK_THROWS_WITH_AS(scg::kl_divergence(bq, oq), doctest::Contains("no closed form"), scg::Error);
  CHECK_THROWS_AS(scg::kl_divergence(bq, scg::bernoulli(g.constant(scg::Tensor(2, 1)))), scg::ShapeError);
  CHECK_THROWS_AS(scg::entropy(g.constant(1.0)), scg::Error);
  // A uniform q outside p's interval: infinite KL, reported at run time naming the node.
  auto uq = scg::uniform(g.constant(0.0), g.constant(4.0)), up = scg::uniform(g.constant(-1.0), g.constant(2.0));
  CHECK_THROWS_WITH_AS(s.run(scg::kl_divergence(uq, up)), doctest::Contains("non-finite"), scg::Error);
}

TEST_CASE("the new distributions refuse bad parameters, enumeration, and second-order implicit gradients") {
  scg::Graph g;
  auto a = g.parameter("a", 2.0);
  scg::Session s(g, 1);
  CHECK_THROWS_WITH_AS(s.run(scg::gamma(a, g.constant(-1.0))), doctest::Contains("rate"), scg::Error);
  CHECK_THROWS_WITH_AS(s.run(scg::beta(g.constant(0.0), a)), doctest::Contains("must be > 0"), scg::Error);
  CHECK_THROWS_WITH_AS(s.run(scg::poisson(g.constant(std::nan("")))), doctest::Contains("poisson"), scg::Error);
  CHECK_THROWS_WITH_AS(s.run(scg::uniform(a, g.constant(1.0))), doctest::Contains("below hi"), scg::Error);
  CHECK_THROWS_WITH_AS(scg::expectation(scg::poisson(a)), doctest::Contains("infinite support"), scg::Error);
  const auto d1 = scg::grad(scg::gamma(a, g.constant(1.0)), {a})[0];
  CHECK_THROWS_WITH_AS(scg::grad(d1, {a}), doctest::Contains("first order only"), scg::Error);
}
