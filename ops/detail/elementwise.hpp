#pragma once
// Internal: elementwise ops, each defined once. An op is a functor F whose value is one
// expression written with the math of namespace ew below, which reads the same on a double
// (the session's 1x1 path) and on an Eigen array (the tensor path): the two paths evaluate
// the same formula and cannot disagree. Its gradient rule is built from ops.
//
// A unary functor provides
//   static constexpr const char* kName;
//   template <class X> auto operator()(const X& x) const;            // the value
//   Var grad(const Var& x, const Var& out, const Var& g) const;      // g times f'(x)
// (without grad the derivative is 0), optionally `void span(const double* x, double* out,
// std::ptrdiff_t n) const`, the tensor path's kernel over n elements (x and out may be the same
// buffer), for a formula Eigen's lazy expressions would evaluate badly (ew::staged: a
// subexpression recomputed at each of its uses), optionally `static constexpr int kCost` (work
// per element in adds, a power of two: 4 for exp or log, 16 for tanh or softplus, 32 for a
// scalar libm call such as expm1; large tensors split into parts that much smaller), and
// optionally `static constexpr CostTerms kTerms`, `static constexpr bool kReadsOperand = false`
// (the value ignores x: a plan does not compute x for it) and `std::string label() const`.
// A binary functor provides kName, operator()(a, b) for any mix of double and array, and
//   std::array<Var, 2> grad(const Var& a, const Var& b, const Var& out, const Var& g,
//                           std::span<const char> needed) const;
// returning the gradients for the broadcast shape (summed back to the operands' shapes).
#include <algorithm>
#include <array>
#include <cmath>

#include "scg/core/detail/thread_pool.hpp"
#include "scg/ops/detail/helpers.hpp"

namespace scg::ew {

// ---- math on doubles and Eigen arrays alike ----
// One overload pair per function: the double (std::) and the array (Eigen's method) forms.
#define SCG_EW_UNARY(name, std_fn)                   \
  inline double name(double x) { return std_fn(x); } \
  template <class D>                                 \
  auto name(const Eigen::ArrayBase<D>& x) {          \
    return x.name();                                 \
  }
SCG_EW_UNARY(exp, std::exp)
SCG_EW_UNARY(log, std::log)
SCG_EW_UNARY(log1p, std::log1p)
SCG_EW_UNARY(expm1, std::expm1)
SCG_EW_UNARY(sqrt, std::sqrt)
SCG_EW_UNARY(abs, std::fabs)
#undef SCG_EW_UNARY
inline double pow(double x, double p) { return std::pow(x, p); }
template <class D>
auto pow(const Eigen::ArrayBase<D>& x, double p) {
  return x.pow(p);
}
/// max(x, c) elementwise.
inline double max(double x, double c) { return x > c ? x : c; }
template <class D>
auto max(const Eigen::ArrayBase<D>& x, double c) {
  return x.max(c);
}
template <class D1, class D2>
auto max(const Eigen::ArrayBase<D1>& a, const Eigen::ArrayBase<D2>& b) {
  return a.max(b);
}
template <class D>
auto max(double c, const Eigen::ArrayBase<D>& x) {
  return x.max(c);
}
/// min(x, c) elementwise.
inline double min(double x, double c) { return x < c ? x : c; }
template <class D>
auto min(const Eigen::ArrayBase<D>& x, double c) {
  return x.min(c);
}
template <class D1, class D2>
auto min(const Eigen::ArrayBase<D1>& a, const Eigen::ArrayBase<D2>& b) {
  return a.min(b);
}
template <class D>
auto min(double c, const Eigen::ArrayBase<D>& x) {
  return x.min(c);
}
/// 1 where x > 0, else 0.
inline double step(double x) { return x > 0.0 ? 1.0 : 0.0; }
template <class D>
auto step(const Eigen::ArrayBase<D>& x) {
  return (x > 0.0).template cast<double>();
}
/// -1, 0 or 1 by the sign of x.
inline double sign(double x) { return static_cast<double>((x > 0.0) - (x < 0.0)); }
template <class D>
auto sign(const Eigen::ArrayBase<D>& x) {
  return x.sign();
}
/// f(x) elementwise for a scalar function f (Boost.Math's special functions: no vector
/// kernels, so the tensor path calls f per element, as the 1x1 path does).
template <class F>
double map(double x, F f) {
  return f(x);
}
template <class D, class F>
auto map(const Eigen::ArrayBase<D>& x, F f) {
  return x.unaryExpr(f);
}
/// 1 in x's shape, without reading x.
inline double ones_like(double) { return 1.0; }
template <class D>
auto ones_like(const Eigen::ArrayBase<D>& x) {
  return Eigen::ArrayBase<D>::PlainObject::Ones(x.rows(), x.cols());
}
/// log(1 + y) for y >= 0, branch-free so Eigen vectorizes it (libm's log1p is scalar). With
/// u = fl(1 + y), 1 + y = u + d exactly for d = y - (u - 1), and log(u + d) = log u + d/u to
/// within d^2 (~1e-32).
template <class X>
auto log1p_nonneg(const X& y) {
  const auto u = 1.0 + y;
  return ew::log(u) + (y - (u - 1.0)) / u;
}

/// out = outer(x, inner(x)) over n elements (Eigen arrays), inner's values evaluated once per
/// block of 256 into a stack buffer: Eigen's lazy expression would evaluate inner at each use of
/// it in outer (softplus reads e^-|x| four times). x and out may be the same buffer.
template <class Inner, class Outer>
void staged(const double* x, double* out, std::ptrdiff_t n, const Inner& inner,
            const Outer& outer) {
  constexpr std::ptrdiff_t kBlock = 256;
  alignas(32) double buffer[kBlock];
  for (std::ptrdiff_t i = 0; i < n; i += kBlock) {
    const std::ptrdiff_t m = std::min(kBlock, n - i);
    const Eigen::Map<const Eigen::ArrayXd> xb(x + i, m);
    Eigen::Map<Eigen::ArrayXd> yb(buffer, m);
    yb = inner(xb);
    Eigen::Map<Eigen::ArrayXd>(out + i, m) = outer(xb, yb);
  }
}

/// The value of softplus and log_sigmoid, Derived::outer(x, y) with y = e^-|x|: on doubles,
/// and on a tensor's spans with y evaluated once per block (staged).
template <class Derived>
struct ExpNegAbsForm {
  template <class X>
  static auto inner(const X& x) {
    return ew::exp(-ew::abs(x));
  }
  template <class X>
  auto operator()(const X& x) const {
    return Derived::outer(x, inner(x));
  }
  void span(const double* x, double* out, std::ptrdiff_t n) const {
    staged(
        x, out, n, [](const auto& a) { return inner(a); },
        [](const auto& a, const auto& y) { return Derived::outer(a, y); });
  }
};

}  // namespace scg::ew

namespace scg::detail {

/// NumPy-broadcast elementwise out = f(a, b) for output columns [c0, c1) where one operand
/// is a row or a column (neither the same shape as the other nor 1x1); f is called on Eigen
/// arrays and/or doubles.
template <class F>
void broadcast_columns(const Tensor& a, const Tensor& b, Tensor& out, const F& f, Eigen::Index c0,
                       Eigen::Index c1) {
  for (Eigen::Index j = c0; j < c1; ++j) {
    const Eigen::Index ja = a.cols() == 1 ? 0 : j, jb = b.cols() == 1 ? 0 : j;
    auto oc = out.matrix().col(j).array();
    const bool full_a = a.rows() == out.rows(), full_b = b.rows() == out.rows();
    if (full_a && full_b)
      oc = f(a.matrix().col(ja).array(), b.matrix().col(jb).array());
    else if (full_a)
      oc = f(a.matrix().col(ja).array(), b(0, jb));
    else if (full_b)
      oc = f(a(0, ja), b.matrix().col(jb).array());
    else
      oc.setConstant(f(a(0, ja), b(0, jb)));
  }
}

/// Tensor t's elements [off, off + len) as a 1-D array.
inline auto span_of(Tensor& t, Eigen::Index off, Eigen::Index len) {
  return Eigen::Map<Eigen::ArrayXd>(t.data() + off, len);
}
inline auto span_of(const Tensor& t, Eigen::Index off, Eigen::Index len) {
  return Eigen::Map<const Eigen::ArrayXd>(t.data() + off, len);
}

/// Elementwise op of N = 1 or 2 operands defined by the functor F (see the top of this
/// file): output shape the operand's (N = 1) or their NumPy broadcast (N = 2), row-local.
template <class F, int N>
class ElementwiseOp final : public Op {
  static_assert(N == 1 || N == 2);
  // Work per element in adds (a unary functor's optional kCost, see the top of this file), for
  // the split thresholds (detail::for_each_span).
  static constexpr std::ptrdiff_t kCost = [] {
    if constexpr (requires { F::kCost; })
      return std::ptrdiff_t{F::kCost};
    else
      return std::ptrdiff_t{1};
  }();
  static_assert(kCost >= 1 && kCost <= detail::kPart && (kCost & (kCost - 1)) == 0);

 public:
  explicit ElementwiseOp(F f = {}) : Op(traits(f)), f_(std::move(f)) {}
  std::string name() const override { return F::kName; }
  Shape infer(std::span<const Shape> in) const override {
    if constexpr (N == 1)
      return in[0];
    else
      return broadcast_shape(F::kName, in);
  }
  void forward(std::span<const Tensor* const> in, Tensor& out,
               const RunContext& ctx) const override {
    // One pass below the split thresholds, else parts fixed by the shape (for_each_span,
    // slice_parts), which the session's threads share.
    const Eigen::Index size = out.rows() * out.cols();
    if constexpr (N == 1) {
      const Tensor& x = *in[0];
      for_each_span(
          ctx.pool, size,
          [&](std::ptrdiff_t off, std::ptrdiff_t len) {
            if constexpr (requires { f_.span(x.data(), out.data(), len); })
              f_.span(x.data() + off, out.data() + off, len);
            else
              span_of(out, off, len) = f_(span_of(x, off, len));
          },
          kCost);
    } else {
      const Tensor &a = *in[0], &b = *in[1];
      if (!(a.shape() == b.shape() || a.shape().scalar() || b.shape().scalar())) {
        // A row or column operand (a bias add): parts of whole output columns.
        for_each_range(
            ctx.pool, out.cols(), size < detail::kParallelFrom ? 1 : slice_parts(out.cols(), size),
            [&](Eigen::Index c0, Eigen::Index c1) { broadcast_columns(a, b, out, f_, c0, c1); });
        return;
      }
      for_each_span(ctx.pool, size, [&](std::ptrdiff_t off, std::ptrdiff_t len) {
        if (a.shape() == b.shape())
          span_of(out, off, len) = f_(span_of(a, off, len), span_of(b, off, len));
        else if (b.shape().scalar())
          span_of(out, off, len) = f_(span_of(a, off, len), b(0, 0));
        else
          span_of(out, off, len) = f_(a(0, 0), span_of(b, off, len));
      });
    }
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char> needed) const override {
    if constexpr (N == 1) {
      if constexpr (requires { f_.grad(in[0], out, g); })
        return {f_.grad(in[0], out, g)};
      else
        return {Var()};  // no grad member: derivative 0
    } else {
      const std::array<Var, 2> d = f_.grad(in[0], in[1], out, g, needed);
      std::vector<Var> r(2);
      for (std::size_t i = 0; i < 2; ++i)
        if (needed[i] && !d[i].empty()) r[i] = sum_to(d[i], in[i].shape());
      return r;
    }
  }

 private:
  static OpTraits traits(const F& f) {
    OpTraits t;
    t.rows = RowLocality::kAll;
    t.scalar = &scalar;
    if constexpr (requires { F::kTerms; }) t.terms = F::kTerms;
    if constexpr (requires { F::kReadsOperand; }) t.reads_operands = F::kReadsOperand;
    if constexpr (requires { f.label(); }) t.label = f.label();
    (void)f;
    return t;
  }
  static double scalar(const void* self, double a, double b) {
    const F& f = static_cast<const ElementwiseOp*>(static_cast<const Op*>(self))->f_;
    if constexpr (N == 1)
      return (void)b, f(a);
    else
      return f(a, b);
  }
  F f_;
};

/// x's node through the unary elementwise op F (one shared instance per stateless F).
template <class F>
Var unary(const Var& x) {
  return make_shared_op<ElementwiseOp<F, 1>>({x});
}
/// The same with an op holding attributes (pow's exponent).
template <class F>
Var unary(const Var& x, F f) {
  return make<ElementwiseOp<F, 1>>({x}, std::move(f));
}
/// a and b through the binary elementwise op F.
template <class F>
Var binary(const Var& a, const Var& b) {
  return make_shared_op<ElementwiseOp<F, 2>>({a, b});
}

}  // namespace scg::detail
