// tanh: out = tanh x. d = tanh_backward(out, g) = g (1 - out^2), one fused node whose own
// derivatives are d/dout = -2 g out and d/dg = 1 - out^2.
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class TanhBackwardOp final : public detail::BinaryOp {
 public:
  std::string name() const override { return "tanh_backward"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    detail::broadcast_binary(*in[0], *in[1], out, [](auto t, auto g) { return g * (1.0 - t * t); });
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double b) { return b * (1.0 - a * a); };
  }
  std::vector<Var> backward_needed(std::span<const Var> in, const Var&, const Var& gg,
                                   std::span<const char> needed) const override {
    return detail::needed_pair(needed, [&] { return sum_to(gg * (-2.0 * in[1] * in[0]), in[0].shape()); },
                               [&] { return sum_to(gg * (1.0 - square(in[0])), in[1].shape()); });
  }
};

class TanhOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "tanh"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().tanh();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return std::tanh(a); };
  }
  std::vector<Var> backward(std::span<const Var>, const Var& out, const Var& g) const override {
    return {detail::make_shared_op<TanhBackwardOp>({out, g})};
  }
};
}  // namespace

Var tanh(const Var& x) { return detail::make_shared_op<TanhOp>({x}); }
}  // namespace scg
