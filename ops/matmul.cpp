// matmul: out = op(a) op(b), op(m) = m or m^T by two flags, so gradients (and products with a
// transposed operand) run as one GEMM with no transposed copy.
//   a b:     da = g b^T      db = a^T g
//   a^T b:   da = b g^T      db = a g
//   a b^T:   da = g b        db = g^T a
//   a^T b^T: da = b^T g^T    db = g^T a^T
#include "detail.hpp"

namespace scg {
namespace {
class MatmulOp final : public Op {
 public:
  MatmulOp(bool ta, bool tb) : ta_(ta), tb_(tb) {}
  std::string name() const override { return "matmul"; }
  std::string label() const override {
    return ta_ || tb_ ? std::string("matmul") + (ta_ ? " a^T" : " a") + (tb_ ? " b^T" : " b") : name();
  }
  Shape infer(std::span<const Shape> in) const override {
    const Shape a = ta_ ? Shape{in[0].cols, in[0].rows} : in[0];
    const Shape b = tb_ ? Shape{in[1].cols, in[1].rows} : in[1];
    if (a.cols != b.rows)
      shape_error(name(), in, std::string("inner dimensions differ") +
                                  (ta_ || tb_ ? std::string(" (operands used as ") + (ta_ ? "a^T" : "a") +
                                                    (tb_ ? ", b^T)" : ", b)")
                                              : ""));
    return {a.rows, b.cols};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    const auto& a = in[0]->matrix();
    const auto& b = in[1]->matrix();
    if (out.rows() == 1 && out.cols() == 1 && a.size() == 1) {
      out(0, 0) = a(0, 0) * b(0, 0);
      return;
    }
    auto& o = out.matrix();
    if (!ta_ && !tb_) o.noalias() = a * b;
    else if (ta_ && !tb_) o.noalias() = a.transpose() * b;
    else if (!ta_) o.noalias() = a * b.transpose();
    else o.noalias() = a.transpose() * b.transpose();
  }
  ScalarKernel scalar_kernel() const override {
    return [](const void*, double a, double b) { return a * b; };
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g) const override {
    static constexpr char kBoth[2] = {1, 1};
    return backward_needed(in, out, g, kBoth);
  }
  std::vector<Var> backward_needed(std::span<const Var> in, const Var&, const Var& g,
                                   std::span<const char> needed) const override {
    const Var &a = in[0], &b = in[1];
    auto da = [&] {
      if (!ta_ && !tb_) return matmul(g, b, false, true);
      if (ta_ && !tb_) return matmul(b, g, false, true);
      if (!ta_) return matmul(g, b, false, false);
      return matmul(b, g, true, true);
    };
    auto db = [&] {
      if (!ta_ && !tb_) return matmul(a, g, true, false);
      if (ta_ && !tb_) return matmul(a, g, false, false);
      if (!ta_) return matmul(g, a, true, false);
      return matmul(g, a, true, true);
    };
    return detail::needed_pair(needed, da, db);
  }
  // Row i of a b (or a b^T) is row i of a times b.
  bool row_local(std::size_t input) const override { return input == 0 && !ta_; }
  Linearity linearity() const override { return Linearity::kEach; }

 private:
  bool ta_, tb_;
};

template <bool TA, bool TB>
Var make_matmul(const Var& a, const Var& b) {
  static const auto op = std::make_shared<const MatmulOp>(TA, TB);
  if (a.empty() || b.empty()) throw Error("matmul: operand is an empty Var");
  return a.graph().apply(op, {a, b});
}
}  // namespace

Var matmul(const Var& a, const Var& b, bool transpose_a, bool transpose_b) {
  // A transpose node as operand folds into the flag: one GEMM, no transposed copy.
  const Var* pa = &a;
  const Var* pb = &b;
  Var ua, ub;
  if (!a.empty() && detail::transposed_operand(a, ua)) pa = &ua, transpose_a = !transpose_a;
  if (!b.empty() && detail::transposed_operand(b, ub)) pb = &ub, transpose_b = !transpose_b;
  if (!transpose_a && !transpose_b) return make_matmul<false, false>(*pa, *pb);
  if (transpose_a && !transpose_b) return make_matmul<true, false>(*pa, *pb);
  if (!transpose_a) return make_matmul<false, true>(*pa, *pb);
  return make_matmul<true, true>(*pa, *pb);
}

Var matmul(const Var& a, const Var& b) { return matmul(a, b, false, false); }
}  // namespace scg
