// add: out = a + b (broadcast). d/da = sum_to(g, a), d/db = sum_to(g, b).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class AddOp final : public detail::BinaryOp {
 public:
  std::string name() const override { return "add"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    detail::broadcast_binary(*in[0], *in[1], out, [](auto x, auto y) { return x + y; });
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double b) { return a + b; };
  }
  std::vector<Var> backward_needed(std::span<const Var> in, const Var&, const Var& g,
                                   std::span<const char> needed) const override {
    return detail::needed_pair(needed, [&] { return sum_to(g, in[0].shape()); },
                               [&] { return sum_to(g, in[1].shape()); });
  }
  Linearity linearity() const override { return Linearity::kJoint; }
};
}  // namespace

Var operator+(const Var& a, const Var& b) { return detail::make_shared_op<AddOp>({a, b}); }
Var operator+(const Var& a, double c) { return a + detail::constant_like(a, c); }
Var operator+(double c, const Var& a) { return detail::constant_like(a, c) + a; }
}  // namespace scg
