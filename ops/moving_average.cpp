// moving_average: a per-session moving average of the mean of x over runs, output *before*
// this run's value is folded in (so it is independent of this run's sample), bias-corrected.
// State: [sum of weights, average]. No derivative (it is a baseline, not a model output).
#include <cmath>

#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class MovingAverageOp final : public Op {
 public:
  explicit MovingAverageOp(double decay) : Op(traits()), decay_(decay) {}
  std::string name() const override { return "moving_average"; }
  Shape infer(std::span<const Shape>) const override { return {1, 1}; }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    Tensor& st = *ctx.state;
    const double weight = st(0, 0), avg = st(0, 1);
    out(0, 0) = weight > 0.0 ? avg / weight : 0.0;
    st(0, 0) = decay_ * weight + (1.0 - decay_);
    st(0, 1) = decay_ * avg + (1.0 - decay_) * in[0]->matrix().mean();
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var&,
                            std::span<const char>) const override {
    return {Var()};
  }

 private:
  static OpTraits traits() {
    OpTraits t;
    t.state = {1, 2};
    return t;
  }
  double decay_;
};
}  // namespace

Var moving_average(const Var& x, double decay) {
  if (!(decay >= 0.0 && decay < 1.0))
    throw Error("moving_average(" + x.describe() + "): decay " + std::to_string(decay) +
                " must be in [0, 1)");
  return detail::make<MovingAverageOp>({x}, decay);
}
}  // namespace scg
