// reshape: the same elements read in row-major order (as NumPy's reshape): element k of the
// row-major sequence of x, x(k / cols_x, k % cols_x), is out(k / cols, k % cols).
// d = reshape(g, x's rows, x's columns). Where x's rows are merged in consecutive groups of G
// (out is (rows / G) x (G cols), so out's row i is x's rows [i G, (i + 1) G) side by side),
// reshape keeps rows apart in groups (OpTraits::row_group = G), as log_mean_exp does: grad's
// causality then keeps example i's rows apart from the others'. Any other reshape mixes rows.
// A reshape to x's own shape is x itself (no node).
#include <cstdint>
#include <limits>

#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class ReshapeOp final : public Op {
 public:
  ReshapeOp(Eigen::Index rows, Eigen::Index cols, Eigen::Index group)
      : Op(traits(rows, cols, group)), shape_{rows, cols} {}
  std::string name() const override { return "reshape"; }
  Shape infer(std::span<const Shape> in) const override {
    if (in[0].size() != shape_.size())
      shape_error(name(), in,
                  "cannot hold " + std::to_string(in[0].size()) + " elements as " + shape_.str());
    return shape_;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const Tensor& x = *in[0];
    Eigen::Index k = 0;
    for (Eigen::Index r = 0; r < x.rows(); ++r)
      for (Eigen::Index c = 0; c < x.cols(); ++c, ++k)
        out(k / shape_.cols, k % shape_.cols) = x(r, c);
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {reshape(g, in[0].rows(), in[0].cols())};
  }

 private:
  // group: G > 1 where rows merge in consecutive groups of G, else 0.
  static OpTraits traits(Eigen::Index rows, Eigen::Index cols, Eigen::Index group) {
    OpTraits t = detail::traits(group > 1 ? RowLocality::kAll : RowLocality::kNone,
                                CostTerms::kSumOfOperands);
    if (group > 1) t.row_group = static_cast<std::uint32_t>(group);
    t.label = "reshape " + std::to_string(rows) + "x" + std::to_string(cols);
    return t;
  }
  Shape shape_;
};
}  // namespace

bool detail::is_reshape(const Op* op) { return dynamic_cast<const ReshapeOp*>(op) != nullptr; }

Var reshape(const Var& v, Eigen::Index rows, Eigen::Index cols) {
  if (v.empty()) throw Error("reshape: operand is an empty Var");
  if (rows < 1 || cols < 1)
    throw ShapeError("reshape: " + v.describe() + " to " + std::to_string(rows) + "x" +
                     std::to_string(cols) + ": both sizes must be at least 1");
  if (v.rows() == rows && v.cols() == cols) return v;
  const Eigen::Index group = v.rows() % rows == 0 ? v.rows() / rows : 0;
  const bool merges =
      group > 1 && v.cols() * group == cols && group <= std::numeric_limits<std::uint32_t>::max();
  return v.graph().apply(std::make_shared<const ReshapeOp>(rows, cols, merges ? group : 0), {v});
}
}  // namespace scg
