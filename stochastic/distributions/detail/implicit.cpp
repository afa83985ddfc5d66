// Implicit reparameterization gradients for gamma and beta (see implicit.hpp).
#include "scg/stochastic/distributions/detail/implicit.hpp"

#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <exception>

#include "scg/ops/detail/helpers.hpp"
#include "scg/stochastic/distributions/detail/distribution_op.hpp"

namespace scg::detail {
namespace {
namespace bmp = boost::math::policies;
// Overflow is reported by value (infinity; ratio() then works in log space); other Boost.Math
// errors throw and are caught in forward, which reports them as scg::Error.
using Policy = bmp::policy<bmp::overflow_error<bmp::ignore_error>>;

/// d log F / dtheta at theta: the six-point central difference with the step of implicit.hpp.
template <class LogF>
double d_log(const LogF& log_f, double theta) {
  const double h0 = 0.01 * std::min(theta, std::sqrt(theta));
  const double h = (theta + h0) - theta;  // a step that theta +- h represent exactly
  const double d1 = log_f(theta + h) - log_f(theta - h);
  const double d2 = log_f(theta + 2 * h) - log_f(theta - 2 * h);
  const double d3 = log_f(theta + 3 * h) - log_f(theta - 3 * h);
  return (45 * d1 - 9 * d2 + d3) / (60 * h);
}

/// F / f from the tail F and the density f where both are normal doubles, else from
/// log F - log f, log f by its formula (the extremes, where f over- or underflows).
template <class LogDensity>
double ratio(double F, double f, const LogDensity& log_density) {
  if (std::isnormal(F) && std::isnormal(f)) return F / f;
  return std::exp(std::log(F) - log_density());
}

/// dz/dshape for z ~ Gamma(shape, 1).
double gamma_dz(double z, double a) {
  if (!(z > 0.0)) return 0.0;  // z at 0: the sample does not move
  const double P = boost::math::gamma_p(a, z, Policy());
  const bool upper = P > 0.5;
  auto tail = [&](double t) {
    return upper ? boost::math::gamma_q(t, z, Policy()) : boost::math::gamma_p(t, z, Policy());
  };
  const double D = d_log([&](double t) { return std::log(tail(t)); }, a);
  const double r = ratio(upper ? tail(a) : P, boost::math::gamma_p_derivative(a, z, Policy()),
                         [&] { return (a - 1) * std::log(z) - z - std::lgamma(a); });
  return upper ? r * D : -r * D;  // dP/da = P D (lower) or -Q D (upper); dz = -dP/da / f
}

/// dx/da (which 0) or dx/db (which 1) for x ~ Beta(a, b).
double beta_dx(double x, double a, double b, int which) {
  if (!(x > 0.0 && x < 1.0)) return 0.0;
  const double I = boost::math::ibeta(a, b, x, Policy());
  const bool upper = I > 0.5;
  auto tail = [&](double aa, double bb) {
    return upper ? boost::math::ibetac(aa, bb, x, Policy())
                 : boost::math::ibeta(aa, bb, x, Policy());
  };
  const double D = which == 0 ? d_log([&](double t) { return std::log(tail(t, b)); }, a)
                              : d_log([&](double t) { return std::log(tail(a, t)); }, b);
  const double r =
      ratio(upper ? tail(a, b) : I, boost::math::ibeta_derivative(a, b, x, Policy()), [&] {
        return (a - 1) * std::log(x) + (b - 1) * std::log1p(-x) - std::lgamma(a) - std::lgamma(b) +
               std::lgamma(a + b);
      });
  return upper ? r * D : -r * D;
}

// which: 0 gamma d/dshape; 1 beta d/da; 2 beta d/db. Operands: x and the parameters.
class ImplicitGradOp final : public Op {
 public:
  explicit ImplicitGradOp(int which) : Op(detail::traits(RowLocality::kAll)), which_(which) {}
  std::string name() const override {
    return which_ == 0   ? "gamma_sample_grad"
           : which_ == 1 ? "beta_sample_grad_a"
                         : "beta_sample_grad_b";
  }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    const Tensor &x = *in[0], &p = *in[1], &q = *in[2];
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      for (Eigen::Index r = 0; r < x.rows(); ++r) {
        const double v = x(r, c), a = at(p, r, c), b = at(q, r, c);
        const char* what = which_ == 0 ? "shape" : which_ == 1 ? "a" : "b";
        std::string why;
        try {
          out(r, c) = which_ == 0 ? gamma_dz(v * b, a) / b : beta_dx(v, a, b, which_ - 1);
          if (std::isfinite(out(r, c))) continue;
          why = "the result is " + number(out(r, c));
        } catch (const std::exception& e) {
          why = e.what();
        }
        ctx.fail("d x / d " + std::string(what) + " at x = " + number(v) + " (element (" +
                 std::to_string(r) + ", " + std::to_string(c) + "), parameters " + number(a) +
                 ", " + number(b) + "): " + why);
      }
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&,
                            std::span<const char>) const override {
    throw Error(name() +
                ": second derivatives through the implicit reparameterization of gamma and beta "
                "are not available (their samples' gradients are first order only)");
  }

 private:
  int which_;
};

}  // namespace

Var gamma_sample_grad(const Var& x, const Var& shape, const Var& rate) {
  return make<ImplicitGradOp>({x, shape, rate}, 0);
}

Var beta_sample_grad(const Var& x, const Var& a, const Var& b, int which) {
  return make<ImplicitGradOp>({x, a, b}, 1 + which);
}

}  // namespace scg::detail
