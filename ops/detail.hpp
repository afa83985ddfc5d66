#pragma once
// Internal helpers shared by the op files: not part of the public API.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "../core/op.hpp"
#include "ops.hpp"

namespace scg::detail {

/// Appends a node of op type T (constructed from `args`) with operands `in`.
template <class T, class... Args>
Var make(const std::vector<Var>& in, Args&&... args) {
  if (in.empty() || in[0].empty()) throw Error("op operand is an empty Var");
  return in[0].graph().apply(std::make_shared<const T>(std::forward<Args>(args)...), in);
}

/// Appends a node of a stateless op type T, sharing one instance between all such nodes.
template <class T>
Var make_shared_op(const std::vector<Var>& in) {
  static const auto op = std::make_shared<const T>();
  if (in.empty() || in[0].empty()) throw Error(op->name() + ": operand is an empty Var");
  return in[0].graph().apply(op, in);
}

/// Gradients of a two-operand op, building only those marked in `needed`: `da()` and `db()`
/// make the gradient nodes of operands 0 and 1.
template <class A, class B>
std::vector<Var> needed_pair(std::span<const char> needed, A&& da, B&& db) {
  return {needed[0] ? da() : Var(), needed[1] ? db() : Var()};
}

/// True if `v` is a transpose node; then `operand` is set to the node it transposes (so
/// matmul can fold the transpose into a flag).
bool transposed_operand(const Var& v, Var& operand);

/// Elementwise op of one operand: output shape = operand shape, row-local.
class UnaryOp : public Op {
 public:
  Shape infer(std::span<const Shape> in) const override { return in[0]; }
  bool row_local(std::size_t) const override { return true; }
};

/// NumPy broadcast of two shapes; throws ShapeError naming `op`.
Shape broadcast_shape(const std::string& op, std::span<const Shape> in);

/// out = f(a, b) elementwise with broadcasting; f is called on Eigen arrays and/or doubles.
template <class F>
void broadcast_binary(const Tensor& a, const Tensor& b, Tensor& out, F f) {
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

/// log(1 + y) for an Eigen array y >= 0, vectorized (libm's log1p is scalar). With
/// u = fl(1 + y), 1 + y = u + d exactly for d = y - (u - 1), and log(u + d) = log u + d/u
/// to within d^2 (~1e-32): branch-free, so Eigen vectorizes it.
template <class A>
auto log1p_fast(const A& y) {
  const auto u = 1.0 + y;
  return u.log() + (y - (u - 1.0)) / u;
}

/// Elementwise op of two operands with broadcasting; row-local. Gradient rules implement
/// backward_needed (building only the needed gradients); backward builds both.
class BinaryOp : public Op {
 public:
  Shape infer(std::span<const Shape> in) const override { return broadcast_shape(name(), in); }
  bool row_local(std::size_t) const override { return true; }
  std::vector<Var> backward(std::span<const Var> in, const Var& out, const Var& g) const final {
    static constexpr char kBoth[2] = {1, 1};
    return backward_needed(in, out, g, kBoth);
  }
  std::vector<Var> backward_needed(std::span<const Var> in, const Var& out, const Var& g,
                                   std::span<const char> needed) const override = 0;
};

/// A constant of `x`'s graph.
inline Var constant_like(const Var& x, Tensor v) { return x.graph().constant(std::move(v)); }

}  // namespace scg::detail
