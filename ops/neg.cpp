// neg: out = -x. d = -g.
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class NegOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "neg"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = -in[0]->array();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return -a; };
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var& g) const override {
    return {-g};
  }
  Linearity linearity() const override { return Linearity::kJoint; }
};
}  // namespace

Var operator-(const Var& a) { return detail::make_shared_op<NegOp>({a}); }
}  // namespace scg
