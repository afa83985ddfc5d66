#include "scg/stochastic/distributions/detail/distribution_op.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "scg/ops/ops.hpp"

namespace scg::detail {

std::string number(double v) {
  char buf[32];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

void require_finite(const Tensor& t, const char* dist, const char* what, const RunContext& ctx) {
  if (t.all_finite()) return;
  for (Eigen::Index c = 0; c < t.cols(); ++c)
    for (Eigen::Index r = 0; r < t.rows(); ++r)
      if (!std::isfinite(t(r, c)))
        ctx.fail(std::string(dist) + ": " + what + " (" + std::to_string(r) + ", " +
                 std::to_string(c) + ") is " + std::to_string(t(r, c)));
}

void require_positive(const Tensor& t, const char* dist, const char* what, const RunContext& ctx) {
  require_finite(t, dist, what, ctx);
  for (Eigen::Index c = 0; c < t.cols(); ++c)
    for (Eigen::Index r = 0; r < t.rows(); ++r)
      if (!(t(r, c) > 0.0))
        ctx.fail(std::string(dist) + ": " + what + " (" + std::to_string(r) + ", " +
                 std::to_string(c) + ") is " + std::to_string(t(r, c)) + "; it must be > 0");
}

std::vector<Var> location_scale_grad(const Var& loc, const Var& scale, const Var& x, const Var& g) {
  const Var eps = (x - loc) / scale;
  return {sum_to(g, loc.shape()), sum_to(g * eps, scale.shape())};
}

}  // namespace scg::detail
