// square: out = x^2. d = 2 g x.
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class SquareOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "square"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().square();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return a * a; };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    return {g * (2.0 * in[0])};
  }
};
}  // namespace

Var square(const Var& x) { return detail::make_shared_op<SquareOp>({x}); }
}  // namespace scg
