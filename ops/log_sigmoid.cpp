// log_sigmoid: out = min(x, 0) - log1p(e^-|x|) (stable). d = g sigmoid(-x).
#include <algorithm>
#include <cmath>

#include "detail.hpp"

namespace scg {
namespace {
class LogSigmoidOp final : public detail::UnaryOp {
 public:
  std::string name() const override { return "log_sigmoid"; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto x = in[0]->array();
    out.array() = x.min(0.0) - detail::log1p_fast((-x.abs()).exp());
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double) { return std::min(a, 0.0) - std::log1p(std::exp(-std::fabs(a))); };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g) const override {
    return {g * sigmoid(-in[0])};
  }
};
}  // namespace

Var log_sigmoid(const Var& x) { return detail::make_shared_op<LogSigmoidOp>({x}); }
}  // namespace scg
