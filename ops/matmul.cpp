// matmul: out = op(a) op(b), op(m) = m or m^T by two flags, so gradients (and products with a
// transposed operand) run as one GEMM with no transposed copy.
//   a b:     da = g b^T      db = a^T g
//   a^T b:   da = b g^T      db = a g
//   a b^T:   da = g b        db = g^T a
//   a^T b^T: da = b^T g^T    db = g^T a^T
#include "scg/core/detail/thread_pool.hpp"
#include "scg/ops/detail/gemm.hpp"
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {

// Parts of the output computed as separate products, chosen from the shape alone (never the
// thread count), so every thread count makes the same GEMM calls and bitwise the same values.
// Each part repacks the operand it shares with the others, so products below 2^23 flops per
// part (about 0.8 ms on one core) are not split, and the split runs along rows of the output
// (sharing b, k x n) where n <= m, else along columns (sharing a, m x k): 2, 4 or 8 parts of
// at least 32 rows or columns, which the session's threads share.
struct Parts {
  Eigen::Index count = 1;
  bool rows = true;
};

Parts parts_of(Eigen::Index m, Eigen::Index n, Eigen::Index k) {
  const double flops =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  Parts p;
  p.rows = n <= m;
  const Eigen::Index split = p.rows ? m : n;
  while (p.count < 8 && flops >= 8388608.0 * static_cast<double>(2 * p.count) &&
         split / (2 * p.count) >= 32)
    p.count *= 2;
  return p;
}

class MatmulOp final : public Op {
 public:
  MatmulOp(bool ta, bool tb) : Op(traits(ta, tb)), ta_(ta), tb_(tb) {}
  std::string name() const override { return "matmul"; }
  Shape infer(std::span<const Shape> in) const override {
    const Shape a = ta_ ? Shape{in[0].cols, in[0].rows} : in[0];
    const Shape b = tb_ ? Shape{in[1].cols, in[1].rows} : in[1];
    if (a.cols != b.rows)
      shape_error(name(), in,
                  std::string("inner dimensions differ") +
                      (ta_ || tb_ ? std::string(" (operands used as ") + (ta_ ? "a^T" : "a") +
                                        (tb_ ? ", b^T)" : ", b)")
                                  : ""));
    return {a.rows, b.cols};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    const auto& a = in[0]->matrix();
    const auto& b = in[1]->matrix();
    if (out.rows() == 1 && out.cols() == 1 && a.size() == 1) {
      out(0, 0) = a(0, 0) * b(0, 0);
      return;
    }
    auto& o = out.matrix();
    const Eigen::Index m = o.rows(), n = o.cols(), k = ta_ ? a.rows() : a.cols();
    const Eigen::Index lda = a.rows(), ldb = b.rows();
    const Parts parts = parts_of(m, n, k);
    if (parts.count == 1) {
      detail::gemm(ta_, tb_, m, n, k, a.data(), lda, b.data(), ldb, o.data(), m);
      return;
    }
    // Rows [i0, i1) of the output from the same rows of op(a) (rows of a, or columns of a
    // stored transposed), or columns [i0, i1) from the same columns of op(b).
    detail::for_each_range(
        ctx.pool, parts.rows ? m : n, parts.count, [&](Eigen::Index i0, Eigen::Index i1) {
          const Eigen::Index c = i1 - i0;
          if (parts.rows)
            detail::gemm(ta_, tb_, c, n, k, a.data() + (ta_ ? i0 * lda : i0), lda, b.data(), ldb,
                         o.data() + i0, m);
          else
            detail::gemm(ta_, tb_, m, c, k, a.data(), lda, b.data() + (tb_ ? i0 : i0 * ldb), ldb,
                         o.data() + i0 * m, m);
        });
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
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
    return {needed[0] ? da() : Var(), needed[1] ? db() : Var()};
  }

 private:
  static OpTraits traits(bool ta, bool tb) {
    // Row i of a b (or a b^T) is row i of a times b.
    OpTraits t =
        detail::traits(ta ? RowLocality::kNone : RowLocality::only(0), CostTerms::kScaledOperand);
    t.scalar = [](const void*, double a, double b) { return a * b; };
    if (ta || tb) t.label = std::string("matmul") + (ta ? " a^T" : " a") + (tb ? " b^T" : " b");
    return t;
  }
  bool ta_, tb_;
};

}  // namespace

Var matmul(const Var& a, const Var& b, bool transpose_a, bool transpose_b) {
  // One shared op per flag combination.
  static const std::shared_ptr<const MatmulOp> ops[2][2] = {
      {std::make_shared<const MatmulOp>(false, false),
       std::make_shared<const MatmulOp>(false, true)},
      {std::make_shared<const MatmulOp>(true, false),
       std::make_shared<const MatmulOp>(true, true)}};
  if (a.empty() || b.empty()) throw Error("matmul: operand is an empty Var");
  // A transpose node as operand folds into the flag: one GEMM, no transposed copy.
  Var x = a, y = b, inner;
  if (detail::transposed_operand(x, inner)) x = inner, transpose_a = !transpose_a;
  if (detail::transposed_operand(y, inner)) y = inner, transpose_b = !transpose_b;
  return x.graph().apply(ops[transpose_a][transpose_b], {x, y});
}

Var matmul(const Var& a, const Var& b) { return matmul(a, b, false, false); }
}  // namespace scg
