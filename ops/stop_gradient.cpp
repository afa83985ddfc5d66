// stop_gradient: out = x; no pathwise derivative.
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class StopGradientOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "stop_gradient"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.matrix() = in[0]->matrix();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return a; };
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&) const override {
    return {Var()};
  }
};
}  // namespace

Var stop_gradient(const Var& x) { return detail::make_shared_op<StopGradientOp>({x}); }
}  // namespace scg
