// abs: out = |x|. d = g sign(x).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class AbsOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "abs"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().abs();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return std::fabs(a); };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    return {g * sign(in[0])};
  }
};
}  // namespace

Var abs(const Var& x) { return detail::make_shared_op<AbsOp>({x}); }
}  // namespace scg
