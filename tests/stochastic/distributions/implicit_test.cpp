// The implicit reparameterization gradients of gamma and beta (issue 20 item 4) against an
// independent long-double reference, at shapes from 1e-2 to 1e8 and at points across each
// distribution (tail quantiles, the median, the mode). The true implicit derivative is
// dx/dtheta = -(dF/dtheta)(x; theta) / f(x; theta), F the CDF (the regularized incomplete gamma
// P(a, x), the regularized incomplete beta I_x(a, b)) and f the density. The reference computes
// dF/dtheta here by Richardson-extrapolated central differences of Boost.Math's long-double F
// (on its smaller side, F or -(1 - F)), with steps on the scale of the spread in theta
// (min(theta, sqrt(theta))), done twice with two step sequences that must agree to 1e-10.
#include <boost/math/distributions/beta.hpp>
#include <boost/math/distributions/gamma.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <functional>
#include <vector>

#include "../mc.hpp"

namespace {

namespace bm = boost::math;
using LD = long double;

/// Central differences of F at t with steps h0, h0 / 2, ... (`levels` of them), extrapolated
/// (Richardson) to step 0.
LD richardson(const std::function<LD(LD)>& F, LD t, LD h0, int levels) {
  std::vector<std::vector<LD>> T(levels);
  LD h = h0;
  for (int i = 0; i < levels; ++i, h /= 2) {
    T[i].push_back((F(t + h) - F(t - h)) / (2 * h));
    LD p = 4;
    for (int j = 1; j <= i; ++j, p *= 4)
      T[i].push_back(T[i][j - 1] + (T[i][j - 1] - T[i - 1][j - 1]) / (p - 1));
  }
  return T[levels - 1][levels - 1];
}

/// dF/dtheta at theta: two extrapolations, which must agree (the reference's own check).
LD d_theta(const std::function<LD(LD)>& F, LD theta) {
  const LD s = std::min(theta, std::sqrt(theta));
  const LD d1 = richardson(F, theta, 0.2L * s, 6), d2 = richardson(F, theta, 0.15L * s, 7);
  INFO("reference extrapolations " << static_cast<double>(d1) << " and "
                                   << static_cast<double>(d2));
  CHECK(std::fabs(d1 - d2) <= 1e-10L * std::fabs(d1));
  return d1;
}

LD gamma_dz_ref(LD a, LD z) {
  const bool upper = bm::gamma_p(a, z) > 0.5L;
  const LD d = d_theta([&](LD t) { return upper ? -bm::gamma_q(t, z) : bm::gamma_p(t, z); }, a);
  return -d / bm::gamma_p_derivative(a, z);
}

LD beta_dx_ref(LD a, LD b, LD x, int which) {
  const bool upper = bm::ibeta(a, b, x) > 0.5L;
  auto F = [&](LD t) {
    const LD aa = which == 0 ? t : a, bb = which == 0 ? b : t;
    return upper ? -bm::ibetac(aa, bb, x) : bm::ibeta(aa, bb, x);
  };
  return -d_theta(F, which == 0 ? a : b) / bm::ibeta_derivative(a, b, x);
}

const std::vector<double> kQuantiles = {1e-4, 0.05, 0.5, 0.95, 1 - 1e-4};

}  // namespace

TEST_CASE(
    "gamma's implicit gradient dx/da matches the long-double reference from a = 1e-2 to 1e8") {
  for (double rate : {1.0, 2.5}) {
    std::vector<double> as, xs;
    for (double a : {1e-2, 0.1, 0.5, 1.0, 3.0, 30.0, 1e3, 1e4, 1e6, 1e8}) {
      const bm::gamma_distribution<double> G(a, 1 / rate);
      std::vector<double> points;
      for (double p : kQuantiles) points.push_back(bm::quantile(G, p));
      if (a > 1) points.push_back((a - 1) / rate);  // the mode
      for (double x : points)
        if (x * rate > 1e-290) as.push_back(a), xs.push_back(x);
    }
    const auto n = static_cast<Eigen::Index>(as.size());
    scg::Tensor av(n, 1), xv(n, 1);
    for (Eigen::Index i = 0; i < n; ++i) av(i, 0) = as[i], xv(i, 0) = xs[i];
    scg::Graph g;
    const scg::Var a = g.parameter("a", av);
    const scg::Var x = scg::gamma(a, g.constant(rate));
    const scg::Var dx = scg::grad(scg::sum(x), {a})[0];
    scg::Session s(g, 1);
    const scg::Tensor got = s.run(dx, {{x, xv}});
    for (Eigen::Index i = 0; i < n; ++i) {
      // x = z / rate: dx/da = (dz/da)(z = x rate) / rate.
      const LD want = gamma_dz_ref(as[i], static_cast<LD>(xs[i]) * rate) / rate;
      INFO("rate " << rate << ", a = " << as[i] << ", x = " << xs[i] << ": got " << got(i, 0)
                   << ", want " << static_cast<double>(want) << ", relative error "
                   << static_cast<double>((got(i, 0) - want) / want));
      CHECK(std::fabs(got(i, 0) - want) <= 1e-9L * std::fabs(want));
    }
  }
}

TEST_CASE("beta's implicit gradients dx/da and dx/db match the long-double reference") {
  std::vector<double> as, bs, xs;
  const double pairs[][2] = {{1e-2, 1e-2}, {0.3, 2.0},  {2.0, 3.0}, {1e4, 0.5},
                             {0.5, 1e4},   {1e-2, 1e2}, {1e6, 2e6}};
  for (const auto& ab : pairs) {
    const double a = ab[0], b = ab[1];
    const bm::beta_distribution<double> B(a, b);
    std::vector<double> points;
    for (double p : kQuantiles) points.push_back(bm::quantile(B, p));
    if (a > 1 && b > 1) points.push_back((a - 1) / (a + b - 2));  // the mode
    for (double x : points)
      if (x > 1e-290 && 1 - x > 1e-15) as.push_back(a), bs.push_back(b), xs.push_back(x);
  }
  const auto n = static_cast<Eigen::Index>(as.size());
  scg::Tensor av(n, 1), bv(n, 1), xv(n, 1);
  for (Eigen::Index i = 0; i < n; ++i) av(i, 0) = as[i], bv(i, 0) = bs[i], xv(i, 0) = xs[i];
  scg::Graph g;
  const scg::Var a = g.parameter("a", av), b = g.parameter("b", bv);
  const scg::Var x = scg::beta(a, b);
  const auto d = scg::grad(scg::sum(x), {a, b});
  scg::Session s(g, 1);
  const std::vector<scg::Tensor> got = s.run({d[0], d[1]}, {{x, xv}});
  for (int which = 0; which < 2; ++which)
    for (Eigen::Index i = 0; i < n; ++i) {
      const LD want = beta_dx_ref(as[i], bs[i], xs[i], which);
      const double v = got[which](i, 0);
      INFO("d/d" << (which ? "b" : "a") << " at a = " << as[i] << ", b = " << bs[i]
                 << ", x = " << xs[i] << ": got " << v << ", want " << static_cast<double>(want)
                 << ", relative error " << static_cast<double>((v - want) / want));
      CHECK(std::fabs(v - want) <= 1e-9L * std::fabs(want));
    }
}
