// broadcast_to and sum_to, each other's adjoint, as one op with a direction:
//   broadcast_to: stretches x along its axes of length 1 to the target.  d = sum_to(g, x's shape)
//   sum_to: sums x over the axes where the target has length 1.          d = broadcast_to(g, x's
//   shape)
#include <algorithm>
#include <array>

#include "scg/core/detail/thread_pool.hpp"
#include "scg/ops/detail/helpers.hpp"

namespace scg {
namespace {
class StretchOp final : public Op {
 public:
  StretchOp(Shape target, bool sum) : Op(traits(target, sum)), target_(target), sum_(sum) {}
  std::string name() const override { return sum_ ? "sum_to" : "broadcast_to"; }
  bool sums() const { return sum_; }
  Shape infer(std::span<const Shape> in) const override {
    // The shape with 1s is the target (sum_to) or the operand (broadcast_to).
    const Shape& small = sum_ ? target_ : in[0];
    const Shape& big = sum_ ? in[0] : target_;
    if ((small.rows != big.rows && small.rows != 1) || (small.cols != big.cols && small.cols != 1))
      shape_error(name(), in,
                  std::string(sum_ ? "cannot sum to " : "cannot broadcast to ") + target_.str());
    return target_;
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    const auto& x = in[0]->matrix();
    auto& o = out.matrix();
    const Eigen::Index big = std::max(x.size(), o.size());
    if (big < detail::kParallelFrom) {
      apply(x, o);
      return;
    }
    if (sum_ && o.size() == 1) {
      // Partial sums of fixed parts, added in order: the same at every thread count.
      const std::ptrdiff_t size = x.size();
      const auto parts = static_cast<std::size_t>((size + detail::kPart - 1) / detail::kPart);
      std::array<double, 4096> partial{};
      if (parts > partial.size()) {
        o(0, 0) = x.sum();  // above 134 million elements: one pass
        return;
      }
      detail::for_each_span(ctx.pool, size, [&](std::ptrdiff_t off, std::ptrdiff_t len) {
        partial[static_cast<std::size_t>(off / detail::kPart)] =
            Eigen::Map<const Eigen::ArrayXd>(x.data() + off, len).sum();
      });
      double total = 0;
      for (std::size_t p = 0; p < parts; ++p) total += partial[p];
      o(0, 0) = total;
      return;
    }
    // Blocks of whole columns, or of whole rows where the output is one column: each output
    // element is computed as in one pass over its block.
    const bool by_rows = sum_ ? o.cols() == 1 : x.cols() == 1;
    const Eigen::Index extent = by_rows ? o.rows() : o.cols();
    detail::for_each_range(ctx.pool, extent, detail::slice_parts(extent, big),
                           [&](Eigen::Index i0, Eigen::Index i1) {
                             if (by_rows)
                               stretch(x, o, i0, i1, 0, o.cols());
                             else
                               stretch(x, o, 0, o.rows(), i0, i1);
                           });
  }

  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char>) const override {
    return {sum_ ? broadcast_to(g, in[0].shape()) : sum_to(g, in[0].shape())};
  }

 private:
  static OpTraits traits(Shape target, bool sum) {
    // Rows stay apart unless summed down (row locality applies only where the operand has
    // as many rows as the output).
    OpTraits t = detail::traits(RowLocality::kAll, CostTerms::kSumOfOperands);
    t.label = (sum ? "sum_to " : "broadcast_to ") + target.str();
    return t;
  }
  // Rows [r0, r1) and columns [c0, c1) of the output from the matching part of x (large
  // tensors, in parts).
  template <class X, class O>
  void stretch(const X& x, O& out, Eigen::Index r0, Eigen::Index r1, Eigen::Index c0,
               Eigen::Index c1) const {
    auto o = out.block(r0, c0, r1 - r0, c1 - c0);
    // The block of x the output block reads: x's whole axis where it (sum_to: the output) has
    // length 1, else the same rows or columns.
    const Shape small = sum_ ? Shape{out.rows(), out.cols()} : Shape{x.rows(), x.cols()};
    const Eigen::Index xr0 = small.rows == 1 ? 0 : r0, xc0 = small.cols == 1 ? 0 : c0;
    const Eigen::Index xr = small.rows == 1 ? x.rows() : r1 - r0,
                       xc = small.cols == 1 ? x.cols() : c1 - c0;
    apply(x.block(xr0, xc0, xr, xc), o);
  }

  // out = sum_to(x) or broadcast_to(x), for whole tensors or matching blocks.
  template <class X, class O>
  void apply(const X& x, O&& o) const {
    if (sum_) {
      if (o.size() == 1)
        o(0, 0) = x.sum();
      else if (o.rows() == 1 && x.rows() != 1)
        o.noalias() = x.colwise().sum();
      else if (o.cols() == 1 && x.cols() != 1)
        o.noalias() = x.rowwise().sum();
      else
        o = x;
    } else {
      if (x.size() == 1)
        o.setConstant(x(0, 0));
      else if (x.rows() == 1)
        for (Eigen::Index r = 0; r < o.rows(); ++r) o.row(r) = x.row(0);
      else if (x.cols() == 1)
        for (Eigen::Index c = 0; c < o.cols(); ++c) o.col(c) = x.col(0);
      else
        o = x;
    }
  }

  Shape target_;
  bool sum_;
};
}  // namespace

bool detail::is_broadcast(const Op* op) {
  const auto* s = dynamic_cast<const StretchOp*>(op);
  return s && !s->sums();
}

Var detail::times_gradient(const Var& g, const Var& x) {
  Graph& graph = g.graph();
  if (g.shape() != x.shape() || !is_broadcast(graph.op(g.id()))) return g * x;
  const Var c = graph.var(graph.inputs(g.id())[0]);
  if (graph.kind(c.id()) == NodeKind::kConstant && (c.value().matrix().array() == 1.0).all())
    return x;
  return c * x;
}

Var broadcast_to(const Var& x, Shape shape) {
  if (x.shape() == shape) return x;
  return detail::make<StretchOp>({x}, shape, false);
}

Var sum_to(const Var& x, Shape shape) {
  if (x.shape() == shape) return x;
  return detail::make<StretchOp>({x}, shape, true);
}
}  // namespace scg
