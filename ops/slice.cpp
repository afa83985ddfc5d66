// slice_rows / slice_cols: a block of consecutive rows or columns; and its adjoint, pad, which
// puts a block back into zeros of the full shape (one op with a direction, like broadcast.cpp).
//   slice: out = x[start, start + count).   d = pad(g) into x's shape
//   pad:   out = 0 except out[start, ...) = x.   d = slice(g)
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class SliceOp final : public Op {
 public:
  SliceOp(int axis, Eigen::Index start, Eigen::Index count, Eigen::Index total, bool pad)
      : Op(traits(axis, start, count, pad)),
        axis_(axis),
        start_(start),
        count_(count),
        total_(total),
        pad_(pad) {}
  std::string name() const override {
    return pad_ ? "pad" : axis_ == 0 ? "slice_rows" : "slice_cols";
  }
  Shape infer(std::span<const Shape> in) const override {
    const Eigen::Index have = axis_ == 0 ? in[0].rows : in[0].cols;
    const Eigen::Index want = pad_ ? count_ : total_;
    if (have != want || start_ < 0 || count_ < 1 || start_ + count_ > total_)
      shape_error(name(), in,
                  "rows/columns [" + std::to_string(start_) + ", " +
                      std::to_string(start_ + count_) + ") do not fit in " +
                      std::to_string(total_));
    Shape out = in[0];
    (axis_ == 0 ? out.rows : out.cols) = pad_ ? total_ : count_;
    return out;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& x = in[0]->matrix();
    auto& o = out.matrix();
    if (!pad_) {
      if (axis_ == 0)
        o = x.middleRows(start_, count_);
      else
        o = x.middleCols(start_, count_);
      return;
    }
    o.setZero();
    if (axis_ == 0)
      o.middleRows(start_, count_) = x;
    else
      o.middleCols(start_, count_) = x;
  }
  std::vector<Var> backward(std::span<const Var>, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {g.graph().apply(std::make_shared<const SliceOp>(axis_, start_, count_, total_, !pad_),
                            {g})};
  }

 private:
  static OpTraits traits(int axis, Eigen::Index start, Eigen::Index count, bool pad) {
    // Columns keep rows apart; rows shift.
    OpTraits t = detail::traits(axis == 1 ? RowLocality::kAll : RowLocality::kNone,
                                CostTerms::kSumOfOperands);
    t.label = std::string(pad ? "pad " : "slice ") + (axis == 0 ? "rows " : "cols ") +
              std::to_string(start) + "+" + std::to_string(count);
    return t;
  }
  int axis_;
  Eigen::Index start_, count_, total_;
  bool pad_;
};

Var slice(const Var& v, int axis, Eigen::Index start, Eigen::Index count) {
  if (v.empty())
    throw Error(std::string(axis == 0 ? "slice_rows" : "slice_cols") + ": operand is an empty Var");
  const Eigen::Index total = axis == 0 ? v.rows() : v.cols();
  if (start == 0 && count == total) return v;
  return detail::make<SliceOp>({v}, axis, start, count, total, false);
}
}  // namespace

Var slice_rows(const Var& v, Eigen::Index start, Eigen::Index count) {
  return slice(v, 0, start, count);
}
Var slice_cols(const Var& v, Eigen::Index start, Eigen::Index count) {
  return slice(v, 1, start, count);
}
}  // namespace scg
