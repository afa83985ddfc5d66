#include "distribution_op.hpp"

#include <cmath>

namespace scg::detail {

void require_finite(const Tensor& t, const char* dist, const char* what, const RunContext& ctx) {
  if (t.all_finite()) return;
  for (Eigen::Index c = 0; c < t.cols(); ++c)
    for (Eigen::Index r = 0; r < t.rows(); ++r)
      if (!std::isfinite(t(r, c)))
        ctx.fail(std::string(dist) + ": " + what + " (" + std::to_string(r) + ", " +
                 std::to_string(c) + ") is " + std::to_string(t(r, c)));
}

}  // namespace scg::detail
