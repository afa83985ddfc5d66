#pragma once
// The seed's Bernoulli NOT gate in closed form, written out by hand independently of scg: the
// reference for tests/stochastic/not_gate_test.cpp and for bench W1.
//   E[C_x] = p_x (t - s_x)^2 + (1 - p_x) t^2,  t = 1 - x,  p_x = sig(w0 x + b0),  s_x = sig(w1 x + b1)
#include <cmath>
#include <vector>

namespace not_gate_exact {

constexpr double kW0 = 0.3, kB0 = -0.2, kW1 = -0.7, kB1 = 0.4;
inline double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

/// d E[C_0 + C_1] / d(w0, b0, w1, b1).
inline std::vector<double> grad() {
  std::vector<double> g(4, 0.0);
  for (int x = 0; x < 2; ++x) {
    const double t = 1 - x, p = sig(kW0 * x + kB0), s = sig(kW1 * x + kB1);
    const double dp = p * (1 - p) * ((t - s) * (t - s) - t * t);
    const double ds = p * (-2.0) * (t - s) * s * (1 - s);
    g[0] += dp * x, g[1] += dp, g[2] += ds * x, g[3] += ds;
  }
  return g;
}

/// E[C_0 + C_1].
inline double cost() {
  double e = 0;
  for (int x = 0; x < 2; ++x) {
    const double t = 1 - x, p = sig(kW0 * x + kB0), s = sig(kW1 * x + kB1);
    e += p * (t - s) * (t - s) + (1 - p) * t * t;
  }
  return e;
}

}  // namespace not_gate_exact
