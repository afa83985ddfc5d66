// exp: out = e^x. d = g out.
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class ExpOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "exp"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().exp();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return std::exp(a); };
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g) const override {
    return {g * out};
  }
};
}  // namespace

Var exp(const Var& x) { return detail::make_shared_op<ExpOp>({x}); }
}  // namespace scg
