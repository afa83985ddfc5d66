// tanh: out = tanh x. d = g (1 - out^2).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class TanhOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "tanh"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().tanh();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, const double* in) { return std::tanh(in[0]); };
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g) const override {
    return {g * (1.0 - square(out))};
  }
};
}  // namespace

Var tanh(const Var& x) { return detail::make_shared_op<TanhOp>({x}); }
}  // namespace scg
