#pragma once
// Internal (not installed): a distribution defined by its math alone. A struct D provides
//   static constexpr const char* kName;
//   static constexpr DistributionTraits kTraits;  // path, support, and where they apply the
//                                                  // layout, logits and antithetic pairs
//   void sample(std::span<const Tensor* const> params, Tensor& out, Engine& engine,
//               const RunContext& ctx) const;     // draws; ctx.fail() on bad parameters
//   Var log_prob(std::span<const Var> params, const Var& x) const;   // built from ops
// and, where they apply,
//   Shape infer(std::span<const Shape> params) const;   // default: the first parameter's
//                                                        // shape (one), NumPy broadcast (two)
//   std::vector<Var> grad(params, x, g) const;           // kPathwise: d/dparams along the sample
//   double state_count(Shape) const; void state(std::size_t, Tensor&) const;   // kFinite
//   Var entropy(params) const;  Var kl(q_params, p_params) const;   // closed forms
//   void check(params, value, ctx) const;    // a fed value is a possible sample (else ctx.fail)
//   Var row_state_log_probs(params, Shape) const;   // log p of every per-row state at once
// The op is row-local in every parameter: row i of a sample depends on row i of each.
#include <algorithm>
#include <cfloat>

#include "scg/core/distribution.hpp"
#include "scg/ops/detail/helpers.hpp"

namespace scg::detail {

template <class D>
class DistributionOp final : public Distribution {
 public:
  explicit DistributionOp(D d = {})
      : Distribution(D::kTraits, detail::traits(RowLocality::kAll)), d_(std::move(d)) {}
  std::string name() const override { return D::kName; }
  Shape infer(std::span<const Shape> in) const override {
    if constexpr (requires { d_.infer(in); })
      return d_.infer(in);
    else if (in.size() == 1)
      return in[0];
    else
      return broadcast_shape(D::kName, in);
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    d_.sample(in, out, *ctx.engine, ctx);
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char>) const override {
    if constexpr (D::kTraits.path == GradientPath::kPathwise)
      return d_.grad(in, out, g);
    else
      return std::vector<Var>(in.size());  // score terms only: nothing along the sample
  }
  Var log_prob(std::span<const Var> params, const Var& x) const override {
    return d_.log_prob(params, x);
  }
  void check_value(std::span<const Tensor* const> params, const Tensor& value,
                   const RunContext& ctx) const override {
    Distribution::check_value(params, value, ctx);
    if constexpr (requires { d_.check(params, value, ctx); }) d_.check(params, value, ctx);
  }
  Var row_state_log_probs(std::span<const Var> params, Shape value) const override {
    if constexpr (requires { d_.row_state_log_probs(params, value); })
      return d_.row_state_log_probs(params, value);
    else
      return Distribution::row_state_log_probs(params, value);
  }
  Var entropy(std::span<const Var> params) const override {
    if constexpr (requires { d_.entropy(params); })
      return d_.entropy(params);
    else
      return Distribution::entropy(params);
  }
  Var kl(std::span<const Var> q, const Distribution& p, std::span<const Var> pp) const override {
    if constexpr (requires { d_.kl(q, pp); }) {
      if (dynamic_cast<const DistributionOp*>(&p)) return d_.kl(q, pp);
    }
    return Distribution::kl(q, p, pp);
  }
  double state_count(Shape out) const override {
    if constexpr (D::kTraits.support == Support::kFinite)
      return d_.state_count(out);
    else
      return Distribution::state_count(out);
  }
  void state(std::size_t index, Tensor& value) const override {
    if constexpr (D::kTraits.support == Support::kFinite)
      d_.state(index, value);
    else
      Distribution::state(index, value);
  }

 private:
  D d_;
};

/// v in a message: shortest round-trip form ("1e+19", "4.9406564584124654e-324").
std::string number(double v);
/// Throws (through ctx) naming the first non-finite element of parameter `t`, called `what`.
void require_finite(const Tensor& t, const char* dist, const char* what, const RunContext& ctx);
/// The same for the first element that is not finite and > 0.
void require_positive(const Tensor& t, const char* dist, const char* what, const RunContext& ctx);
/// Element (r, c) of a parameter broadcast to the sample's shape.
inline double at(const Tensor& t, Eigen::Index r, Eigen::Index c) {
  return t(t.rows() == 1 ? 0 : r, t.cols() == 1 ? 0 : c);
}
/// The shape of a sample from parameters `p` (their NumPy broadcast).
inline Shape value_shape(std::span<const Var> p) {
  Shape s = p[0].shape();
  for (std::size_t i = 1; i < p.size(); ++i)
    s = {std::max(s.rows, p[i].rows()), std::max(s.cols, p[i].cols())};
  return s;
}
/// Throws (through ctx) unless every element of a fed value v satisfies ok(element); `what`
/// says what it must be.
template <class F>
void check_elements(const Tensor& v, const char* dist, const char* what, const RunContext& ctx,
                    F ok) {
  for (Eigen::Index c = 0; c < v.cols(); ++c)
    for (Eigen::Index r = 0; r < v.rows(); ++r)
      if (!ok(v(r, c), r, c))
        ctx.fail(std::string(dist) + ": fed value (" + std::to_string(r) + ", " +
                 std::to_string(c) + ") is " + std::to_string(v(r, c)) + "; it must be " + what);
}
/// check_elements for a value of 0/1 entries (bernoulli, bernoulli_pairs, categorical).
inline void check_binary(const Tensor& v, const char* dist, const RunContext& ctx) {
  check_elements(v, dist, "0 or 1", ctx, [](double x, auto, auto) { return x == 0.0 || x == 1.0; });
}
/// v clamped to the open support (0, inf): at least DBL_MIN, the smallest normal double (a
/// draw below it, whose value a double cannot hold with full precision, is stored as DBL_MIN,
/// where log_prob is finite), at most DBL_MAX.
inline double positive(double v) { return std::clamp(v, DBL_MIN, DBL_MAX); }

/// v clamped to the open interval (0, 1): [DBL_MIN, 1 - 2^-53] (the largest double below 1).
inline double in_unit_interval(double v) { return std::clamp(v, DBL_MIN, 1.0 - DBL_EPSILON / 2); }

/// Pathwise gradients of a location-scale sample x = loc + scale * eps, from the sample
/// itself: d/dloc = g, d/dscale = g (x - loc) / scale (summed back to each parameter's shape).
std::vector<Var> location_scale_grad(const Var& loc, const Var& scale, const Var& x, const Var& g);

}  // namespace scg::detail
