// Distributions at extreme parameters (issue 20 items 7, 8, 11, 12): gamma and beta at small
// shapes (samples in the open support, finite log_prob, means within 5 standard errors,
// gradients finite or scg::Error), relaxed_bernoulli at a low temperature (finite log_prob on
// every batch; the density against the logistic law of its logit), poisson's largest rates,
// and poisson's KL for nearby rates against a long-double series.
#include <cfloat>
#include <cmath>
#include <functional>
#include <iomanip>
#include <limits>
#include <string>

#include "../mc.hpp"

namespace {

using LD = long double;
constexpr double kBelowOne = 1.0 - DBL_EPSILON / 2;  // the largest double below 1

/// Runs `runs` batches of node x (rows x 1) with its log_prob; CHECKs every sample lies in
/// (lo, hi) and every log_prob is finite, and the sample mean within 5 standard errors of
/// `mean` (the standard error from the true variance `var`).
void check_batches(scg::Session& s, const scg::Var& x, double lo, double hi, double mean,
                   double var, int runs) {
  const scg::Var lp = scg::log_prob(x);
  long outside = 0, bad_lp = 0, n = 0;
  double sum = 0;
  for (int r = 0; r < runs; ++r) {
    const std::vector<scg::Tensor>& t = s.run({x, lp});
    for (Eigen::Index i = 0; i < t[0].rows(); ++i, ++n) {
      const double v = t[0](i, 0);
      outside += !(v > lo && v < hi);
      bad_lp += !std::isfinite(t[1](i, 0));
      sum += v;
    }
  }
  INFO("mean " << sum / n << " want " << mean << " (standard error " << std::sqrt(var / n) << ")");
  CHECK(outside == 0);
  CHECK(bad_lp == 0);
  CHECK(std::fabs(sum / n - mean) <= 5 * std::sqrt(var / n));
}

/// Runs f; CHECKs it returns finite values or throws scg::Error (never another exception).
void check_finite_or_error(const std::function<scg::Tensor()>& f, const std::string& what) {
  INFO(what);
  try {
    const scg::Tensor t = f();
    CHECK(t.all_finite());
  } catch (const scg::Error& e) {
    MESSAGE(what << ": scg::Error " << std::string(e.what()));
  } catch (const std::exception& e) {
    FAIL(what << ": an exception other than scg::Error escaped: " << std::string(e.what()));
  }
}

}  // namespace

TEST_CASE("gamma and beta at small shapes: samples in the open support, finite log_prob, means") {
  scg::Graph g;
  const scg::Var ones = g.constant(scg::Tensor(20000, 1, 1.0));
  scg::Session s(g, 5);
  SUBCASE("gamma(1e-3, 1)") {
    check_batches(s, scg::gamma(1e-3 * ones, g.constant(1.0)), 0, INFINITY, 1e-3, 1e-3, 10);
  }
  SUBCASE("gamma(0.02, 50)") {
    check_batches(s, scg::gamma(0.02 * ones, g.constant(50.0)), 0, INFINITY, 0.02 / 50, 0.02 / 2500,
                  10);
  }
  SUBCASE("beta(1e-3, 1e-3)") {
    const double a = 1e-3, b = 1e-3, var = a * b / ((a + b) * (a + b) * (a + b + 1));
    check_batches(s, scg::beta(a * ones, g.constant(b)), 0, 1, 0.5, var, 10);
  }
  SUBCASE("beta(1e-3, 0.5)") {
    const double a = 1e-3, b = 0.5, var = a * b / ((a + b) * (a + b) * (a + b + 1));
    check_batches(s, scg::beta(a * ones, g.constant(b)), 0, 1, a / (a + b), var, 10);
  }
}

TEST_CASE("gamma and beta at small shapes: implicit gradients finite, d/da E[gamma] = 1") {
  scg::Graph g;
  const scg::Var a = g.parameter("a", 1e-3);
  const scg::Var ones = g.constant(scg::Tensor(10000, 1, 1.0));
  const scg::Var x = scg::gamma(a * ones, g.constant(1.0));
  const scg::Var da = scg::grad(scg::mean(x), {a})[0];
  const scg::Var y = scg::beta(a * ones, g.constant(1e-3));
  const scg::Var dy = scg::grad(scg::mean(y), {a})[0];
  scg::Session s(g, 9);
  // d/da E[x] = 1 (E[x] = a / rate): the Monte-Carlo mean of the implicit gradient over runs.
  const scg_test::Moments mc = scg_test::sample_moments(s, {da}, 10);
  CHECK(std::isfinite(mc.mean[0]));
  scg_test::check_within(mc, {1.0}, 5.0);
  check_finite_or_error([&] { return s.run(dy); }, "beta(1e-3, 1e-3) at its samples");
  // Fed values where the density overflows a double (x^(a - 1) at the smallest positive
  // doubles) or where Boost.Math would report an error: finite or scg::Error, never a Boost
  // exception.
  for (double v : {std::numeric_limits<double>::denorm_min(), 1e-320, DBL_MIN, 1e-300}) {
    check_finite_or_error(
        [&] {
          return s.run(da, {{x, scg::Tensor(10000, 1, v)}});
        },
        "gamma(1e-3) at " + std::to_string(v));
    check_finite_or_error(
        [&] {
          return s.run(dy, {{y, scg::Tensor(10000, 1, v)}});
        },
        "beta(1e-3, 1e-3) at " + std::to_string(v));
  }
  check_finite_or_error(
      [&] {
        return s.run(dy, {{y, scg::Tensor(10000, 1, kBelowOne)}});
      },
      "beta(1e-3, 1e-3) at the largest double below 1");
  const scg::Var tiny = g.parameter("tiny", 1e-320);
  const scg::Var z = scg::gamma(tiny, g.constant(1.0));
  const scg::Var dtiny = scg::grad(z, {tiny})[0];
  check_finite_or_error([&] { return s.run(dtiny); }, "gamma(1e-320)");
}

TEST_CASE("relaxed_bernoulli at temperature 0.1, logit 3: finite log_prob on every batch") {
  scg::Graph g;
  const double t = 0.1;
  const scg::Var l = g.parameter("l", 3.0);
  const scg::Var y = scg::relaxed_bernoulli(l * g.constant(scg::Tensor(10000, 1, 1.0)), t);
  const scg::Var lp = scg::log_prob(y);
  const scg::Var dl = scg::grad(scg::sum(lp), {l})[0];
  scg::Session s(g, 3);
  long at_top = 0, above_half = 0, n = 0, outside = 0, bad = 0;
  for (int r = 0; r < 20; ++r) {
    const std::vector<scg::Tensor>& v = s.run({y, lp, dl});
    for (Eigen::Index i = 0; i < v[0].rows(); ++i, ++n) {
      outside += !(v[0](i, 0) > 0 && v[0](i, 0) < 1);
      bad += !std::isfinite(v[1](i, 0));
      at_top += v[0](i, 0) == kBelowOne;
      above_half += v[0](i, 0) > 0.5;
    }
    bad += !std::isfinite(v[2].item());
  }
  MESSAGE("relaxed_bernoulli(3, t = 0.1): " << at_top << " of " << n
                                            << " samples at the largest double below 1");
  CHECK(outside == 0);
  CHECK(bad == 0);
  // y > 1/2 exactly when l + L > 0: probability sigmoid(3).
  const double p = 1 / (1 + std::exp(-3.0));
  CHECK(std::fabs(static_cast<double>(above_half) / n - p) <= 5 * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("relaxed_bernoulli's log_prob is the logistic density of the sample's logit") {
  // In the logit u = log(x / (1 - x)) the binary Concrete sample is logistic with location
  // l / t and scale 1 / t: log p(x) = log t + l - t u - 2 log(1 + e^(l - t u)) - log(x (1 - x)).
  const LD pairs[][2] = {{3, 0.5}, {0.7, 1.0}, {-2, 2.0}, {0, 0.7}, {3, 0.1}};
  for (const auto& lt : pairs) {
    const LD l = lt[0], t = lt[1];
    INFO("logit " << static_cast<double>(l) << ", temperature " << static_cast<double>(t));
    scg::Graph g;
    const scg::Var lv = g.constant(static_cast<double>(l));
    const scg::Var y = scg::relaxed_bernoulli(lv, static_cast<double>(t));
    const scg::Var params[] = {lv};
    auto log_prob_at = [&](const scg::Tensor& xs) {
      const scg::Var in = g.input("x", xs.rows(), 1);
      scg::Session s(g, 1);
      return scg::Tensor(s.run(scg::stochastic_op(y)->log_prob(params, in), {{in, xs}}));
    };
    if (t >= 0.5L) {
      // The trapezoid rule over u in [-20, 20] against the closed-form logistic mass there (its
      // error h^2 / 12 (f'(20) - f'(-20)) is below 2e-10 here); the points fed are
      // x = sigmoid(u) rounded to double.
      const int n = 16000;
      const LD lo = -20, hi = 20, h = (hi - lo) / n;
      scg::Tensor xs(n + 1, 1);
      std::vector<LD> jac(n + 1);
      for (int i = 0; i <= n; ++i) {
        const LD u = lo + h * i, x = 1 / (1 + std::exp(-u));
        xs(i, 0) = static_cast<double>(x);
        jac[i] = x / (1 + std::exp(u));  // dx/du = x (1 - x)
      }
      const scg::Tensor lp = log_prob_at(xs);
      LD total = 0;
      for (int i = 0; i <= n; ++i)
        total += (i == 0 || i == n ? 0.5L : 1.0L) * std::exp(static_cast<LD>(lp(i, 0))) * jac[i];
      auto cdf = [&](LD u) { return 1 / (1 + std::exp(l - t * u)); };
      CHECK(std::fabs(total * h - (cdf(hi) - cdf(lo))) <= 1e-9L);
    }
    // Pointwise: log_prob at a few fed values (and at the ends 0 and 1, read as the nearest
    // doubles inside, DBL_MIN and 1 - 2^-53, as the sampler stores samples that round there).
    const double pts[] = {1e-300, 0.01, 0.5, 0.97, 1 - 1e-12, kBelowOne, 0.0, 1.0};
    scg::Tensor pv(8, 1);
    for (int i = 0; i < 8; ++i) pv(i, 0) = pts[i];
    const scg::Tensor got = log_prob_at(pv);
    for (int i = 0; i < 8; ++i) {
      const LD x = i == 6 ? DBL_MIN : i == 7 ? kBelowOne : pts[i];
      const LD u = std::log(x) - std::log1p(-x);
      const LD want = std::log(t) + l - t * u - 2 * std::log1p(std::exp(l - t * u)) - std::log(x) -
                      std::log1p(-x);
      INFO("at " << pts[i] << ": got " << got(i, 0) << " want " << static_cast<double>(want));
      CHECK(std::fabs(got(i, 0) - want) <= 1e-12L * std::max<LD>(1, std::fabs(want)));
    }
  }
}

TEST_CASE("poisson refuses rates whose counts would overflow or lose integer precision") {
  scg::Graph g;
  scg::Session s(g, 1);
  for (double rate : {1e16, 0x1p63, 1e19, 1e300}) {
    const scg::Var x = scg::poisson(g.constant(rate));
    std::string said;
    double got = NAN;
    try {
      got = s.run(x).item();
    } catch (const scg::Error& e) {
      said = e.what();
    }
    INFO("rate " << rate << ": sampled " << got << "; said " << said);
    CHECK(said.find("poisson") != std::string::npos);
    CHECK(said.find("rate") != std::string::npos);
  }
  // Below the limit the counts are right (within 6 standard deviations of the rate).
  const scg::Var x = scg::poisson(g.constant(scg::Tensor(1000, 1, 1e15)));
  const scg::Tensor v = s.run(x);
  CHECK((v.matrix().array() - 1e15).abs().maxCoeff() <= 6 * std::sqrt(1e15));
}

TEST_CASE("poisson's KL for nearby rates against a long-double series (relative 1e-12)") {
  // KL(Pois(a) || Pois(b)) = a log(a / b) - a + b = b h(u), u = (a - b) / b,
  // h(u) = (1 + u) log1p(u) - u = sum_{n >= 2} (-1)^n u^n / (n (n - 1)) for |u| < 1.
  auto reference = [](LD a, LD b) {
    const LD u = (a - b) / b;
    if (std::fabs(u) > 0.25L) return b * ((1 + u) * std::log1p(u) - u);
    LD h = 0, p = u * u;
    for (int n = 2; n < 60; ++n, p *= -u) h += p / (n * (n - 1.0L));
    return b * h;
  };
  const double pairs[][2] = {{1e6, 1e6 + 1},  {1e6 + 1, 1e6}, {3.5, 3.5 * (1 + 1e-9)},
                             {2.0, 3.0},      {1.0, 1.04},    {1.0, 0.96},
                             {1.0, 1.06},     {1e-3, 5.0},    {50.0, 0.2},
                             {1e12, 1e12 + 3}};
  scg::Graph g;
  scg::Session s(g, 1);
  for (const auto& ab : pairs) {
    const scg::Var q = scg::poisson(g.constant(ab[0])), p = scg::poisson(g.constant(ab[1]));
    const double got = s.run(scg::kl_divergence(q, p)).item();
    const LD want = reference(ab[0], ab[1]);
    INFO(std::setprecision(17) << "KL(" << ab[0] << " || " << ab[1] << "): got " << got << " want "
                               << static_cast<double>(want) << ", relative error "
                               << static_cast<double>((got - want) / want));
    CHECK(std::fabs(got - want) <= 1e-12L * want);
  }
  const scg::Var q = scg::poisson(g.constant(7.0));
  CHECK(s.run(scg::kl_divergence(q, scg::poisson(g.constant(7.0)))).item() == 0.0);
}
