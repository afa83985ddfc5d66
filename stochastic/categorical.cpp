// categorical: one one-hot row per row of logits, drawn from softmax(row). Score-function
// node. log p(x) = rowsum(x * log_softmax(l)), rows x 1.
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "../ops/detail.hpp"
#include "distributions.hpp"

namespace scg {
namespace {
class CategoricalOp final : public Distribution {
 public:
  CategoricalOp() : Distribution(GradientPath::kScore, Support::kFinite, detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "categorical"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) const override {
    const Tensor& l = *in[0];
    boost::random::uniform_01<double> u;
    out.matrix().setZero();
    for (Eigen::Index r = 0; r < l.rows(); ++r) {
      double m = -INFINITY;
      for (Eigen::Index c = 0; c < l.cols(); ++c) {
        if (!std::isfinite(l(r, c)))
          ctx.fail("categorical: logit (" + std::to_string(r) + ", " + std::to_string(c) +
                   ") is " + std::to_string(l(r, c)));
        m = std::max(m, l(r, c));
      }
      double total = 0.0;
      for (Eigen::Index c = 0; c < l.cols(); ++c) total += std::exp(l(r, c) - m);
      // Inverse CDF on the unnormalized weights; the last category takes any rounding slack.
      const double target = u(*ctx.engine) * total;
      double acc = 0.0;
      Eigen::Index pick = l.cols() - 1;
      for (Eigen::Index c = 0; c < l.cols(); ++c) {
        acc += std::exp(l(r, c) - m);
        if (target < acc) { pick = c; break; }
      }
      out(r, pick) = 1.0;
    }
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&,
                            std::span<const char>) const override {
    return {Var()};
  }
  Var log_prob(std::span<const Var> params, const Var& x) const override {
    return sum(x * log_softmax(params[0]), 1);
  }
  double state_count(Shape out) const override {
    return std::pow(static_cast<double>(out.cols), static_cast<double>(out.rows));
  }
  void state(std::size_t index, Tensor& value) const override {
    const auto k = static_cast<std::size_t>(value.cols());
    value.matrix().setZero();
    for (Eigen::Index r = 0; r < value.rows(); ++r) {
      value(r, static_cast<Eigen::Index>(index % k)) = 1.0;
      index /= k;
    }
  }
};
}  // namespace

Var categorical(const Var& logits) { return detail::make_shared_op<CategoricalOp>({logits}); }
}  // namespace scg
