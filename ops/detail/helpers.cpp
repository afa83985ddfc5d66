#include "scg/ops/detail/helpers.hpp"

namespace scg::detail {

Shape broadcast_shape(const std::string& op, std::span<const Shape> in) {
  const Shape& a = in[0];
  const Shape& b = in[1];
  auto axis = [&](Eigen::Index x, Eigen::Index y) -> Eigen::Index {
    if (x == y || y == 1) return x;
    if (x == 1) return y;
    shape_error(op, in, "shapes do not broadcast");
  };
  return {axis(a.rows, b.rows), axis(a.cols, b.cols)};
}

Shape axis_shape(const Var& x, int axis, const char* fn) {
  if (axis == 0) return {1, x.cols()};
  if (axis == 1) return {x.rows(), 1};
  throw Error(std::string(fn) + "(" + x.describe() + ", axis " + std::to_string(axis) +
              "): axis must be 0 (down the rows) or 1 (across the columns)");
}

}  // namespace scg::detail
