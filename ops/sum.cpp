// sum and mean, over everything or along one axis: sum_to a smaller shape (and a scaling).
#include "scg/ops/detail/helpers.hpp"

namespace scg {
using detail::axis_shape;

Var sum(const Var& x) { return sum_to(x, {1, 1}); }
Var sum(const Var& x, int axis) { return sum_to(x, axis_shape(x, axis, "sum")); }
Var mean(const Var& x) {
  const Var s = sum(x);
  return x.shape().size() == 1 ? s : s / static_cast<double>(x.shape().size());
}
Var mean(const Var& x, int axis) {
  const Var s = sum(x, axis);
  const auto n = static_cast<double>(axis == 0 ? x.rows() : x.cols());
  return n == 1.0 ? s : s / n;
}
}  // namespace scg
