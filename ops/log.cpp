// log: out = ln x. d = g / x.
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class LogOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "log"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = in[0]->array().log();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return std::log(a); };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    return {g / in[0]};
  }
};
}  // namespace

Var log(const Var& x) { return detail::make_shared_op<LogOp>({x}); }
}  // namespace scg
