// sqrt: out = sqrt x. d = g / (2 out).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class SqrtOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "sqrt"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().sqrt();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return std::sqrt(a); };
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g) const override {
    return {g / (2.0 * out)};
  }
};
}  // namespace

Var sqrt(const Var& x) { return detail::make_shared_op<SqrtOp>({x}); }
}  // namespace scg
