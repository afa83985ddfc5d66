// log_softmax of each row: out = x - max - log sum e^(x - max) (stable).
// d = g - e^out rowsum(g).
#include "detail.hpp"

namespace scg {
namespace {
class LogSoftmaxOp final : public Op {
 public:
  LogSoftmaxOp() : Op(detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "log_softmax"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const double m = x.matrix().row(r).maxCoeff();
      double s = 0.0;
      for (Eigen::Index c = 0; c < x.cols(); ++c) s += std::exp(x(r, c) - m);
      // (x - max) - log s, not x - (max + log s): max + log s would round to the spacing of
      // max's magnitude, losing every digit of log s for logits around 1e15.
      const double ls = std::log(s);
      for (Eigen::Index c = 0; c < x.cols(); ++c) out(r, c) = (x(r, c) - m) - ls;
    }
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g,
                            std::span<const char>) const override {
    return {g - exp(out) * sum(g, 1)};
  }
};
}  // namespace

Var log_softmax(const Var& x) { return detail::make_shared_op<LogSoftmaxOp>({x}); }
}  // namespace scg
