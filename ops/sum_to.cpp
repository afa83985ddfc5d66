// sum_to: sums x over the axes where the target shape has length 1. d = broadcast_to(g, x).
#include "detail.hpp"

namespace scg {
namespace {
class SumToOp final : public Op {
 public:
  explicit SumToOp(Shape target) : Op(traits(target)), target_(target) {}
  std::string name() const override { return "sum_to"; }
  Shape infer(std::span<const Shape> in) const override {
    const Shape& x = in[0];
    if ((target_.rows != x.rows && target_.rows != 1) || (target_.cols != x.cols && target_.cols != 1))
      shape_error(name(), in, "cannot sum to " + target_.str());
    return target_;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    if (out.rows() == 1 && out.cols() == 1)
      out(0, 0) = x.sum();
    else if (out.rows() == 1 && x.rows() != 1)
      out.matrix().noalias() = x.colwise().sum();
    else if (out.cols() == 1 && x.cols() != 1)
      out.matrix().noalias() = x.rowwise().sum();
    else
      out.matrix() = x;
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {broadcast_to(g, in[0].shape())};
  }

 private:
  static OpTraits traits(Shape target) {
    // Summing across the columns keeps rows apart; summing down the rows mixes them (row
    // locality only applies where the operand has as many rows as the output).
    OpTraits t = detail::traits(RowLocality::kAll, CostTerms::kSumOfOperands);
    t.label = "sum_to " + target.str();
    return t;
  }
  Shape target_;
};
}  // namespace

Var sum_to(const Var& x, Shape shape) {
  if (x.shape() == shape) return x;
  return detail::make<SumToOp>({x}, shape);
}
}  // namespace scg
