// sigmoid: out = 1 / (1 + e^-x). d = g out (1 - out).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class SigmoidOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "sigmoid"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    // 1/(1+e^-x) overflows gracefully: e^-x -> inf gives 0, never NaN.
    out.array() = (1.0 + (-in[0]->array()).exp()).inverse();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, const double* in) { return 1.0 / (1.0 + std::exp(-in[0])); };
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g) const override {
    return {g * (out * (1.0 - out))};
  }
};
}  // namespace

Var sigmoid(const Var& x) { return detail::make_shared_op<SigmoidOp>({x}); }
}  // namespace scg
