// bernoulli: x = 1 with probability sigmoid(l), else 0. Score-function node (no path
// gradient). log p(x) = x log sig(l) + (1 - x) log sig(-l) = x l - softplus(l) for x in
// {0, 1}: finite for any finite l, one transcendental per element.
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "../ops/detail.hpp"
#include "distributions.hpp"

namespace scg {
namespace {
class BernoulliOp final : public Distribution {
 public:
  BernoulliOp() : Distribution(GradientPath::kScore, Support::kFinite, detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "bernoulli"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) const override {
    const Tensor& l = *in[0];
    if (!l.all_finite()) {
      for (Eigen::Index c = 0; c < l.cols(); ++c)
        for (Eigen::Index r = 0; r < l.rows(); ++r)
          if (!std::isfinite(l(r, c)))
            ctx.fail("bernoulli: logit (" + std::to_string(r) + ", " + std::to_string(c) +
                     ") is " + std::to_string(l(r, c)));
    }
    // Uniforms first (the engine is sequential), then vectorized passes: x = [u < sigmoid(l)]
    // = [u (1 + e^-l) < 1]. Right at both ends: e^-l = inf gives inf or NaN (u = 0), never
    // below 1, so x = 0; e^-l = 0 gives u < 1, so x = 1.
    boost::random::uniform_01<double> u;
    double* o = out.data();
    const Eigen::Index n = out.matrix().size();
    for (Eigen::Index i = 0; i < n; ++i) o[i] = u(*ctx.engine);
    out.array() *= 1.0 + (-l.array()).exp();
    for (Eigen::Index i = 0; i < n; ++i) o[i] = o[i] < 1.0 ? 1.0 : 0.0;
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&,
                            std::span<const char>) const override {
    return {Var()};
  }
  Var log_prob(std::span<const Var> params, const Var& x) const override {
    const Var& l = params[0];
    return x * l - softplus(l);
  }
  double state_count(Shape out) const override {
    return std::pow(2.0, static_cast<double>(out.size()));
  }
  void state(std::size_t index, Tensor& value) const override {
    for (Eigen::Index i = 0; i < value.shape().size(); ++i)
      value.data()[i] = static_cast<double>((index >> i) & 1u);
  }
};
}  // namespace

Var bernoulli(const Var& logits) { return detail::make_shared_op<BernoulliOp>({logits}); }
}  // namespace scg
