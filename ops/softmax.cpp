// softmax of each row: out = e^(x - max) / sum e^(x - max). d = out (g - rowsum(g out)).
#include "detail.hpp"

namespace scg {
namespace {
class SoftmaxOp final : public Op {
 public:
  SoftmaxOp() : Op(detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "softmax"; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    for (Eigen::Index r = 0; r < x.rows(); ++r) {
      const double m = x.matrix().row(r).maxCoeff();
      double s = 0.0;
      for (Eigen::Index c = 0; c < x.cols(); ++c) s += out(r, c) = std::exp(x(r, c) - m);
      out.matrix().row(r) /= s;
    }
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g,
                            std::span<const char>) const override {
    return {out * (g - sum(g * out, 1))};
  }
};
}  // namespace

Var softmax(const Var& x) { return detail::make_shared_op<SoftmaxOp>({x}); }
}  // namespace scg
