#pragma once
// Internal helpers shared by the op files: not part of the public API.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "scg/core/error.hpp"
#include "scg/core/op.hpp"
#include "scg/ops/ops.hpp"

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

/// Traits of an op whose output rows follow `rows`, splitting cost terms as `terms`.
inline OpTraits traits(std::uint32_t rows, CostTerms terms = CostTerms::kWhole) {
  OpTraits t;
  t.rows = rows;
  t.terms = terms;
  return t;
}

/// True if `v` is a transpose node; then `operand` is set to the node it transposes (so
/// matmul can fold the transpose into a flag).
bool transposed_operand(const Var& v, Var& operand);

/// True if `op` is exp's op.
bool is_exp(const Op* op);

/// True if `op` is log_mean_exp's op (its group size is traits().row_group).
bool is_log_mean_exp(const Op* op);

/// True if `op` is reshape's op.
bool is_reshape(const Op* op);

/// True if `op` is magic_box's op.
bool is_magic_box(const Op* op);

/// A MagicBox that grad with GradOptions::live_boxes builds (same value and derivative as
/// magic_box): frozen like grad's other boxes for expectation and clones, but a later grad
/// differentiates through it (DiCE's repeated differentiation).
Var live_magic_box(const Var& t);
/// True if `op` is live_magic_box's op.
bool is_live_box(const Op* op);

/// True if `op` is broadcast_to's op.
bool is_broadcast(const Op* op);

/// g * x for a product's derivative (mul's backward): where g is broadcast_to(c) (a sum's
/// derivative) and x has g's shape, c * x, as the product broadcasts c itself; where c is
/// moreover a constant of ones (the seed of a cost summed), x itself. The same values and
/// derivatives as g * x, with one or two nodes fewer per summed product.
Var times_gradient(const Var& g, const Var& x);

/// NumPy broadcast of two shapes; throws ShapeError naming `op`.
Shape broadcast_shape(const std::string& op, std::span<const Shape> in);

/// The shape of a reduction of x along `axis` (0: 1 x cols, 1: rows x 1); throws scg::Error
/// naming `fn` for any other axis.
Shape axis_shape(const Var& x, int axis, const char* fn);

/// A constant of `x`'s graph.
inline Var constant_like(const Var& x, Tensor v) { return x.graph().constant(std::move(v)); }

}  // namespace scg::detail
