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
// and optionally `static constexpr CostTerms kTerms` and `std::string label() const`.
// A binary functor provides kName, operator()(a, b) for any mix of double and array, and
//   std::array<Var, 2> grad(const Var& a, const Var& b, const Var& out, const Var& g,
//                           std::span<const char> needed) const;
// returning the gradients for the broadcast shape (BinaryOp sums them back to the operands').
#include <array>
#include <cmath>

#include "detail.hpp"

namespace scg::ew {

// ---- math on doubles and Eigen arrays alike ----
inline double exp(double x) { return std::exp(x); }
template <class D> auto exp(const Eigen::ArrayBase<D>& x) { return x.exp(); }
inline double log(double x) { return std::log(x); }
template <class D> auto log(const Eigen::ArrayBase<D>& x) { return x.log(); }
inline double tanh(double x) { return std::tanh(x); }
template <class D> auto tanh(const Eigen::ArrayBase<D>& x) { return x.tanh(); }
inline double sqrt(double x) { return std::sqrt(x); }
template <class D> auto sqrt(const Eigen::ArrayBase<D>& x) { return x.sqrt(); }
inline double abs(double x) { return std::fabs(x); }
template <class D> auto abs(const Eigen::ArrayBase<D>& x) { return x.abs(); }
inline double pow(double x, double p) { return std::pow(x, p); }
template <class D> auto pow(const Eigen::ArrayBase<D>& x, double p) { return x.pow(p); }
/// max(x, c) elementwise.
inline double max(double x, double c) { return x > c ? x : c; }
template <class D> auto max(const Eigen::ArrayBase<D>& x, double c) { return x.max(c); }
/// min(x, c) elementwise.
inline double min(double x, double c) { return x < c ? x : c; }
template <class D> auto min(const Eigen::ArrayBase<D>& x, double c) { return x.min(c); }
/// 1 where x > 0, else 0.
inline double step(double x) { return x > 0.0 ? 1.0 : 0.0; }
template <class D> auto step(const Eigen::ArrayBase<D>& x) { return (x > 0.0).template cast<double>(); }
/// -1, 0 or 1 by the sign of x.
inline double sign(double x) { return static_cast<double>((x > 0.0) - (x < 0.0)); }
template <class D> auto sign(const Eigen::ArrayBase<D>& x) { return x.sign(); }
/// log(1 + y) for y >= 0, branch-free so Eigen vectorizes it (libm's log1p is scalar). With
/// u = fl(1 + y), 1 + y = u + d exactly for d = y - (u - 1), and log(u + d) = log u + d/u to
/// within d^2 (~1e-32).
template <class X> auto log1p_nonneg(const X& y) {
  const auto u = 1.0 + y;
  return ew::log(u) + (y - (u - 1.0)) / u;
}

}  // namespace scg::ew

namespace scg::detail {

/// NumPy-broadcast elementwise out = f(a, b); f is called on Eigen arrays and/or doubles.
template <class F>
void broadcast_binary(const Tensor& a, const Tensor& b, Tensor& out, const F& f) {
  if (out.rows() == 1 && out.cols() == 1) {
    out(0, 0) = f(a(0, 0), b(0, 0));
  } else if (a.shape() == b.shape()) {
    out.array() = f(a.array(), b.array());
  } else if (b.rows() == 1 && b.cols() == 1) {
    out.array() = f(a.array(), b(0, 0));
  } else if (a.rows() == 1 && a.cols() == 1) {
    out.array() = f(a(0, 0), b.array());
  } else {
    for (Eigen::Index j = 0; j < out.cols(); ++j) {
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
}

template <class F>
OpTraits elementwise_traits(const F& f, ScalarKernel scalar) {
  OpTraits t;
  t.rows = RowLocality::kAll;
  t.scalar = scalar;
  if constexpr (requires { F::kTerms; }) t.terms = F::kTerms;
  if constexpr (requires { f.label(); }) t.label = f.label();
  (void)f;
  return t;
}

/// Elementwise op of one operand: output shape = operand shape, row-local.
template <class F>
class UnaryOp final : public Op {
 public:
  explicit UnaryOp(F f = {}) : Op(elementwise_traits(f, &scalar)), f_(std::move(f)) {}
  std::string name() const override { return F::kName; }
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    out.array() = f_(in[0]->array());
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char>) const override {
    return {f_.grad(in[0], out, g)};
  }

 private:
  static double scalar(const void* self, double a, double) {
    return static_cast<const UnaryOp*>(static_cast<const Op*>(self))->f_(a);
  }
  F f_;
};

/// Elementwise op of two operands with NumPy broadcasting, row-local.
template <class F>
class BinaryOp final : public Op {
 public:
  explicit BinaryOp(F f = {}) : Op(elementwise_traits(f, &scalar)), f_(std::move(f)) {}
  std::string name() const override { return F::kName; }
  Shape infer(std::span<const Shape> in) const override { return broadcast_shape(F::kName, in); }
  void forward(std::span<const Tensor* const> in, Tensor& out, const RunContext&) const override {
    broadcast_binary(*in[0], *in[1], out, f_);
  }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g,
                            std::span<const char> needed) const override {
    const std::array<Var, 2> d = f_.grad(in[0], in[1], out, g, needed);
    std::vector<Var> r(2);
    for (std::size_t i = 0; i < 2; ++i)
      if (needed[i] && !d[i].empty()) r[i] = sum_to(d[i], in[i].shape());
    return r;
  }

 private:
  static double scalar(const void* self, double a, double b) {
    return static_cast<const BinaryOp*>(static_cast<const Op*>(self))->f_(a, b);
  }
  F f_;
};

/// x's node through the unary elementwise op F (one shared instance per stateless F).
template <class F>
Var unary(const Var& x) { return make_shared_op<UnaryOp<F>>({x}); }
/// The same with an op holding attributes (pow's exponent).
template <class F>
Var unary(const Var& x, F f) { return make<UnaryOp<F>>({x}, std::move(f)); }
/// a and b through the binary elementwise op F.
template <class F>
Var binary(const Var& a, const Var& b) { return make_shared_op<BinaryOp<F>>({a, b}); }

}  // namespace scg::detail
