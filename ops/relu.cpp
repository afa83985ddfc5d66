// relu: out = max(x, 0). d = g step(x).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class ReluOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "relu"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().max(0.0);
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return std::max(a, 0.0); };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    return {g * step(in[0])};
  }
};
}  // namespace

Var relu(const Var& x) { return detail::make_shared_op<ReluOp>({x}); }
}  // namespace scg
