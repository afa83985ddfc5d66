// logsumexp: log sum e^x over everything (1x1) or along an axis, stable: m + log sum e^(x - m)
// with m the maximum (so a maximum of 1e300 or -1e300 is fine).
// d = g e^(x - out) (g and out stretched back to x's shape): the softmax weights.
#include <cmath>

#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class LogSumExpOp final : public Op {
 public:
  explicit LogSumExpOp(int axis) : Op(traits(axis)), axis_(axis) {}  // axis -1: everything
  std::string name() const override { return "logsumexp"; }
  Shape infer(std::span<const Shape> in) const override {
    if (axis_ == 0) return {1, in[0].cols};
    if (axis_ == 1) return {in[0].rows, 1};
    return {1, 1};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    auto lse = [](const auto& v) {
      const double m = v.maxCoeff();
      if (!std::isfinite(m)) return m;  // all -inf gives -inf; +inf or NaN passes through
      return m + std::log((v.array() - m).exp().sum());
    };
    if (axis_ == 0)
      for (Eigen::Index c = 0; c < x.cols(); ++c) out(0, c) = lse(x.col(c));
    else if (axis_ == 1)
      for (Eigen::Index r = 0; r < x.rows(); ++r) out(r, 0) = lse(x.row(r));
    else
      out(0, 0) = lse(x.reshaped());
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char>) const override {
    const Shape s = in[0].shape();
    return {broadcast_to(g, s) * exp(in[0] - broadcast_to(out, s))};
  }

 private:
  static OpTraits traits(int axis) {
    OpTraits t = detail::traits(axis == 1 ? RowLocality::kAll : RowLocality::kNone);
    t.label = axis < 0 ? "logsumexp" : "logsumexp " + std::to_string(axis);
    return t;
  }
  int axis_;
};
}  // namespace

Var logsumexp(const Var& v) { return detail::make<LogSumExpOp>({v}, -1); }
Var logsumexp(const Var& v, int axis) {
  detail::axis_shape(v, axis, "logsumexp");  // checks the axis
  return detail::make<LogSumExpOp>({v}, axis);
}
}  // namespace scg
