// group_sum: the sum of x over consecutive groups of k rows, written to every row of its
// group. Self-adjoint: d = group_sum(g).
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class GroupSumOp final : public Op {
 public:
  explicit GroupSumOp(Eigen::Index k) : Op(traits(k)), k_(k) {}
  std::string name() const override { return "group_sum"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].rows % k_ != 0)
      shape_error(name(), in, "rows not divisible by the group size " + std::to_string(k_));
    return in[0];
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    for (Eigen::Index r0 = 0; r0 < x.rows(); r0 += k_)
      for (Eigen::Index c = 0; c < x.cols(); ++c)
        out.matrix().col(c).segment(r0, k_).setConstant(x.col(c).segment(r0, k_).sum());
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {group_sum(g, k_)};
  }

 private:
  static OpTraits traits(Eigen::Index k) {
    OpTraits t = detail::traits(RowLocality::kNone, CostTerms::kSumOfOperands);
    t.label = "group_sum " + std::to_string(k);
    return t;
  }
  Eigen::Index k_;
};
}  // namespace

Var group_sum(const Var& x, Eigen::Index k) {
  if (k < 1)
    throw Error("group_sum(" + x.describe() + ", " + std::to_string(k) +
                "): the group size must be at least 1");
  return detail::make<GroupSumOp>({x}, k);
}
}  // namespace scg
