#pragma once
// Internal (not installed): Gamma(a, 1) draws for gamma and beta at any shape a > 0, in log
// space. For a < 1 the draw itself underflows a double for much of the mass (at a = 1e-3,
// P(z < DBL_MIN) = DBL_MIN^a / Gamma(1 + a), about one half), so it is drawn as
// z = Gamma(a + 1) U^(1/a) (U uniform on (0, 1]; Stuart's theorem) and kept as
// log z = log Gamma(a + 1) + log(U) / a, which is finite for every draw.
#include <boost/random/gamma_distribution.hpp>
#include <boost/random/uniform_01.hpp>
#include <cmath>

#include "scg/core/op.hpp"

namespace scg::detail {

/// log z, z ~ Gamma(a, 1), a > 0 (Boost.Random's draw for a >= 1).
inline double log_gamma_draw(double a, Engine& engine) {
  if (a >= 1.0) return std::log(boost::random::gamma_distribution<double>(a, 1.0)(engine));
  const double g = boost::random::gamma_distribution<double>(a + 1.0, 1.0)(engine);
  const double u = 1.0 - boost::random::uniform_01<double>()(engine);  // in (0, 1]
  return std::log(g) + std::log(u) / a;
}

}  // namespace scg::detail
