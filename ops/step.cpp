// step: out = 1 where x > 0, else 0. Derivative 0 (no gradient flows).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class StepOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "step"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = (in[0]->array() > 0.0).cast<double>();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return a > 0.0 ? 1.0 : 0.0; };
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&) const override {
    return {Var()};
  }
};
}  // namespace

Var step(const Var& x) { return detail::make_shared_op<StepOp>({x}); }
}  // namespace scg
