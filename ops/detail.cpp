#include "detail.hpp"

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

}  // namespace scg::detail
