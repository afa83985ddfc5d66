// sign: out = -1, 0 or 1 by the sign of x. Derivative 0 (no gradient flows).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class SignOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "sign"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().sign();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return static_cast<double>((a > 0.0) - (a < 0.0)); };
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&) const override {
    return {Var()};
  }
};
}  // namespace

Var sign(const Var& x) { return detail::make_shared_op<SignOp>({x}); }
}  // namespace scg
