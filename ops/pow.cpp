// pow: out = x^p for a constant p. d = g p x^(p-1).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class PowOp final : public detail::UnaryOp {
 public:
  explicit PowOp(double p) : p_(p) {}
  std::string name() const override { return "pow"; }
  std::string label() const override { return "pow " + std::to_string(p_); }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().pow(p_);
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void* self, double a, double) { return std::pow(a, static_cast<const PowOp*>(self)->p_); };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    if (p_ == 1.0) return {g};
    return {g * (p_ * pow(in[0], p_ - 1.0))};
  }

 public:
  double p_;  // the exponent (read by the scalar kernel)
};
}  // namespace

Var pow(const Var& x, double p) { return detail::make<PowOp>({x}, p); }
}  // namespace scg
