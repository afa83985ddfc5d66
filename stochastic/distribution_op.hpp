#pragma once
// Internal (not installed): a distribution defined by its math alone. A struct D provides
//   static constexpr const char* kName;
//   static constexpr GradientPath kPath;  static constexpr Support kSupport;
//   void sample(std::span<const Tensor* const> params, Tensor& out, Engine& engine,
//               const RunContext& ctx) const;     // draws; ctx.fail() on bad parameters
//   Var log_prob(std::span<const Var> params, const Var& x) const;   // built from ops
// and, where they apply,
//   Shape infer(std::span<const Shape> params) const;   // default: the first parameter's
//                                                        // shape (one), NumPy broadcast (two)
//   std::vector<Var> grad(params, x, g) const;           // kPathwise: d/dparams along the sample
//   double state_count(Shape) const; void state(std::size_t, Tensor&) const;   // kFinite
// The op is row-local in every parameter: row i of a sample depends on row i of each.
#include "../core/distribution.hpp"
#include "../ops/detail.hpp"

namespace scg::detail {

template <class D>
class DistributionOp final : public Distribution {
 public:
  explicit DistributionOp(D d = {})
      : Distribution(D::kPath, D::kSupport, detail::traits(RowLocality::kAll)), d_(std::move(d)) {}
  std::string name() const override { return D::kName; }
  Shape infer(std::span<const Shape> in) const override {
    if constexpr (requires { d_.infer(in); }) return d_.infer(in);
    else if (in.size() == 1) return in[0];
    else return broadcast_shape(D::kName, in);
  }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext& ctx) const override {
    d_.sample(in, out, *ctx.engine, ctx);
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char>) const override {
    if constexpr (D::kPath == GradientPath::kPathwise) return d_.grad(in, out, g);
    else return std::vector<Var>(in.size());  // score terms only: nothing along the sample
  }
  Var log_prob(std::span<const Var> params, const Var& x) const override {
    return d_.log_prob(params, x);
  }
  double state_count(Shape out) const override {
    if constexpr (D::kSupport == Support::kFinite) return d_.state_count(out);
    else return Distribution::state_count(out);
  }
  void state(std::size_t index, Tensor& value) const override {
    if constexpr (D::kSupport == Support::kFinite) d_.state(index, value);
    else Distribution::state(index, value);
  }

 private:
  D d_;
};

/// Throws (through ctx) naming the first non-finite element of parameter `t`, called `what`.
void require_finite(const Tensor& t, const char* dist, const char* what, const RunContext& ctx);

}  // namespace scg::detail
