// gather_rows(table, indices): row i of the result is row indices(i) of table (embeddings);
// its adjoint scatter_rows(x, indices, rows) adds row i of x into row indices(i) of zeros
// (segment sums); and
// one_hot(indices, k). Indices are an n x 1 node of integer values; one out of range or not
// an integer throws scg::Error naming the node at run time.
//   gather: d/dtable = scatter(g, indices), nothing to the indices.
//   scatter: d/dg = gather(gg, indices).
#include <cmath>

#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
/// The row index of entry i of `idx`, checked against `limit`.
Eigen::Index index_at(const Tensor& idx, Eigen::Index i, Eigen::Index limit, const char* op,
                      const RunContext& ctx) {
  const double v = idx(i, 0);
  if (!(v >= 0.0 && v < static_cast<double>(limit) && v == std::floor(v)))
    ctx.fail(std::string(op) + ": index " + std::to_string(i) + " is " + std::to_string(v) +
             ", not an integer in [0, " + std::to_string(limit) + ")");
  return static_cast<Eigen::Index>(v);
}

void check_indices(std::span<const Shape> in, std::size_t at, const std::string& op) {
  if (in[at].cols != 1) shape_error(op, in, "indices must be one column (n x 1)");
}

// mode 0: gather (table, indices) -> n x cols; 1: scatter (g, indices) -> rows_ x cols;
// 2: one_hot (indices) -> n x rows_.
class IndexOp final : public Op {
 public:
  IndexOp(int mode, Eigen::Index rows) : Op(traits(mode, rows)), mode_(mode), rows_(rows) {}
  std::string name() const override {
    return mode_ == 0 ? "gather_rows" : mode_ == 1 ? "scatter_rows" : "one_hot";
  }
  Shape infer(std::span<const Shape> in) const override {
    if (mode_ == 2) {
      check_indices(in, 0, name());
      return {in[0].rows, rows_};
    }
    check_indices(in, 1, name());
    if (mode_ == 1 && in[0].rows != in[1].rows) shape_error(name(), in, "one row of g per index");
    return {mode_ == 0 ? in[1].rows : rows_, in[0].cols};
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    if (mode_ == 2) {
      out.matrix().setZero();
      for (Eigen::Index i = 0; i < in[0]->rows(); ++i)
        out(i, index_at(*in[0], i, rows_, "one_hot", ctx)) = 1.0;
      return;
    }
    const Tensor &x = *in[0], &idx = *in[1];
    if (mode_ == 0) {
      for (Eigen::Index i = 0; i < idx.rows(); ++i)
        out.matrix().row(i) = x.matrix().row(index_at(idx, i, x.rows(), "gather_rows", ctx));
      return;
    }
    out.matrix().setZero();
    for (Eigen::Index i = 0; i < idx.rows(); ++i)
      out.matrix().row(index_at(idx, i, rows_, "scatter_rows", ctx)) += x.matrix().row(i);
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char> needed) const override {
    if (mode_ == 2) return {Var()};
    if (!needed[0]) return {Var(), Var()};
    const int adjoint = mode_ == 0 ? 1 : 0;
    return {detail::make<IndexOp>({g, in[1]}, adjoint, in[0].rows()), Var()};
  }

 private:
  static OpTraits traits(int mode, Eigen::Index rows) {
    // gather: row i of the result depends on row i of the indices (and on any table row);
    // one_hot: on row i of the indices. Linear in the table (gather) or in g (scatter).
    OpTraits t =
        detail::traits(mode == 1 ? RowLocality::kNone : RowLocality::only(mode == 0 ? 1 : 0),
                       mode == 2 ? CostTerms::kWhole : CostTerms::kScaledFirst);
    if (mode == 2) t.label = "one_hot " + std::to_string(rows);
    return t;
  }
  int mode_;
  Eigen::Index rows_;  // scatter: the table's rows; one_hot: k
};
}  // namespace

Var gather_rows(const Var& table, const Var& indices) {
  return detail::make<IndexOp>({table, indices}, 0, 0);
}

Var scatter_rows(const Var& x, const Var& indices, Eigen::Index rows) {
  if (rows < 1)
    throw Error("scatter_rows(" + x.describe() + "): rows must be at least 1, not " +
                std::to_string(rows));
  return detail::make<IndexOp>({x, indices}, 1, rows);
}

Var one_hot(const Var& indices, Eigen::Index k) {
  if (k < 1)
    throw Error("one_hot(" + indices.describe() + ", " + std::to_string(k) +
                "): k must be at least 1");
  return detail::make<IndexOp>({indices}, 2, k);
}
}  // namespace scg
