// Implicit reparameterization gradients for gamma and beta (see implicit.hpp).
#include "scg/stochastic/distributions/detail/implicit.hpp"

#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <functional>

#include "scg/ops/detail/helpers.hpp"
#include "scg/stochastic/distributions/detail/distribution_op.hpp"

namespace scg::detail {
namespace {

/// dF/dtheta at theta by a five-point stencil, F evaluated on the side where it is small.
double d_theta(const std::function<double(double)>& f, double theta) {
  const double h = 1e-3 * theta;
  return (f(theta - 2 * h) - 8 * f(theta - h) + 8 * f(theta + h) - f(theta + 2 * h)) / (12 * h);
}

/// dz/dshape for z ~ Gamma(shape, 1).
double gamma_dz(double z, double shape) {
  const double density = boost::math::gamma_p_derivative(shape, z);
  if (!(density > 0.0)) return 0.0;  // z at 0 or infinity: the sample does not move
  const bool upper = boost::math::gamma_p(shape, z) > 0.5;
  const double dF = upper ? -d_theta([z](double a) { return boost::math::gamma_q(a, z); }, shape)
                          : d_theta([z](double a) { return boost::math::gamma_p(a, z); }, shape);
  return -dF / density;
}

/// dx/da (which 0) or dx/db (which 1) for x ~ Beta(a, b).
double beta_dx(double x, double a, double b, int which) {
  const double density = boost::math::ibeta_derivative(a, b, x);
  if (!(density > 0.0)) return 0.0;
  const bool upper = boost::math::ibeta(a, b, x) > 0.5;
  auto F = [&](double t) {
    const double aa = which == 0 ? t : a, bb = which == 0 ? b : t;
    return upper ? -boost::math::ibetac(aa, bb, x) : boost::math::ibeta(aa, bb, x);
  };
  return -d_theta(F, which == 0 ? a : b) / density;
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
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor &x = *in[0], &p = *in[1], &q = *in[2];
    for (Eigen::Index c = 0; c < x.cols(); ++c)
      for (Eigen::Index r = 0; r < x.rows(); ++r) {
        const double v = x(r, c), a = at(p, r, c), b = at(q, r, c);
        out(r, c) = which_ == 0 ? gamma_dz(v * b, a) / b : beta_dx(v, a, b, which_ - 1);
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
