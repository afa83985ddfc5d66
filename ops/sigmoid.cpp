// sigmoid: out = 1 / (1 + e^-x). d = sigmoid_backward(out, g) = g out (1 - out), one fused
// node whose own derivatives are d/dout = g (1 - 2 out) and d/dg = out (1 - out).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class SigmoidBackwardOp final : public detail::BinaryOp {
 public:
  std::string name() const override { return "sigmoid_backward"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    detail::broadcast_binary(*in[0], *in[1], out, [](auto s, auto g) { return g * (s * (1.0 - s)); });
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double b) { return b * (a * (1.0 - a)); };
  }
  std::vector<Var> backward_needed(std::span<const Var> in, const Var&, const Var& gg,
                                   std::span<const char> needed) const override {
    return detail::needed_pair(needed, [&] { return sum_to(gg * in[1] * (1.0 - 2.0 * in[0]), in[0].shape()); },
                               [&] { return sum_to(gg * (in[0] * (1.0 - in[0])), in[1].shape()); });
  }
};

class SigmoidOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "sigmoid"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    // 1/(1+e^-x) overflows gracefully: e^-x -> inf gives 0, never NaN.
    out.array() = (1.0 + (-in[0]->array()).exp()).inverse();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return 1.0 / (1.0 + std::exp(-a)); };
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g) const override {
    return {detail::make_shared_op<SigmoidBackwardOp>({out, g})};
  }
};
}  // namespace

Var sigmoid(const Var& x) { return detail::make_shared_op<SigmoidOp>({x}); }
}  // namespace scg
