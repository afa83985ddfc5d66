// where(cond, a, b): a where cond is 1, b where it is 0 (cond holds 0/1; all three broadcast).
// d/da = g cond, d/db = g (1 - cond) (summed back over stretched axes); cond gets none.
// A cond entry other than 0 or 1 throws scg::Error naming the node at run time.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
class WhereOp final : public Op {
 public:
  WhereOp() : Op(detail::traits(RowLocality::kAll)) {}
  std::string name() const override { return "where"; }
  Shape infer(std::span<const Shape> in) const override {
    const Shape ab[2] = {in[1], in[2]};
    const Shape s = detail::broadcast_shape(name(), ab);
    const Shape cs[2] = {in[0], s};
    return detail::broadcast_shape(name(), cs);
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    const Tensor &c = *in[0], &a = *in[1], &b = *in[2];
    auto at = [](const Tensor& t, Eigen::Index r, Eigen::Index k) {
      return t(t.rows() == 1 ? 0 : r, t.cols() == 1 ? 0 : k);
    };
    for (Eigen::Index k = 0; k < out.cols(); ++k)
      for (Eigen::Index r = 0; r < out.rows(); ++r) {
        const double cv = at(c, r, k);
        if (cv != 0.0 && cv != 1.0)
          ctx.fail("where: cond (" + std::to_string(r) + ", " + std::to_string(k) + ") is " +
                   std::to_string(cv) + ", not 0 or 1");
        out(r, k) = cv == 1.0 ? at(a, r, k) : at(b, r, k);
      }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var&, const Var& g,
                            std::span<const char> needed) const override {
    const Var& c = in[0];
    return {Var(), needed[1] ? sum_to(g * c, in[1].shape()) : Var(),
            needed[2] ? sum_to(g * (1.0 - c), in[2].shape()) : Var()};
  }
};
}  // namespace

Var where(const Var& cond, const Var& a, const Var& b) {
  return detail::make_shared_op<WhereOp>({cond, a, b});
}
}  // namespace scg
