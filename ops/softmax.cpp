// softmax and log_softmax of each row, one op with a flag (they share the row pass: the
// maximum m and s = sum e^(x - m)).
//   softmax:     out = e^(x - m) / s.             d = out (g - rowsum(g out))
//   log_softmax: out = (x - m) - log s (stable).  d = g - e^out rowsum(g)
#include <array>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class SoftmaxOp final : public Op {
 public:
  explicit SoftmaxOp(bool log) : Op(detail::traits(RowLocality::kAll)), log_(log) {}
  std::string name() const override { return log_ ? "log_softmax" : "softmax"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const double m = x.matrix().row(r).maxCoeff();
      double s = 0.0;
      for (Eigen::Index c = 0; c < x.cols(); ++c) s += out(r, c) = std::exp(x(r, c) - m);
      if (!log_) {
        out.matrix().row(r) /= s;
        continue;
      }
      // (x - max) - log s, not x - (max + log s): max + log s would round to the spacing of
      // max's magnitude, losing every digit of log s for logits around 1e15.
      const double ls = std::log(s);
      for (Eigen::Index c = 0; c < x.cols(); ++c) out(r, c) = (x(r, c) - m) - ls;
    }
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g,
                            std::span<const char>) const override {
    if (log_) return {g - exp(out) * sum(g, 1)};
    return {out * (g - sum(g * out, 1))};
  }

 private:
  bool log_;
};

Var apply(const Var& x, bool log) {
  static const auto ops = std::array{std::make_shared<const SoftmaxOp>(false), std::make_shared<const SoftmaxOp>(true)};
  if (x.empty()) throw Error(std::string(log ? "log_softmax" : "softmax") + ": operand is an empty Var");
  return x.graph().apply(ops[log], {x});
}
}  // namespace

Var softmax(const Var& x) { return apply(x, false); }
Var log_softmax(const Var& x) { return apply(x, true); }
}  // namespace scg
