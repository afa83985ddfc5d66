#pragma once
// The seed's Bernoulli NOT gate in closed form, written out by hand independently of scg: the
// reference for tests/stochastic/grad/not_gate_test.cpp and for bench W1.
//   E[C_x] = p_x (t - s_x)^2 + (1 - p_x) t^2,  t = 1 - x,  p_x = sig(w0 x + b0),  s_x = sig(w1 x + b1)
#include <array>
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

/// Exact moments of the single-sample estimator of d E[C_0 + C_1] / d(w0, b0, w1, b1) over the
/// four joint outcomes (B_0, B_1): score terms for w0 and b0, pathwise terms for w1 and b1.
/// `mean` and `second` weight each B_x only by its own C_x (causal); `second_whole` weights
/// every B by the whole cost.
struct EstimatorMoments {
  std::array<double, 4> mean{}, second{}, second_whole{};
  double variance(int i) const { return second[i] - mean[i] * mean[i]; }
  double variance_whole(int i) const { return second_whole[i] - mean[i] * mean[i]; }
};
inline EstimatorMoments estimator_moments() {
  EstimatorMoments m;
  for (int b0v = 0; b0v < 2; ++b0v)
    for (int b1v = 0; b1v < 2; ++b1v) {
      const int B[2] = {b0v, b1v};
      double prob = 1, C[2], score_w0[2], score_b0[2], path_w1 = 0, path_b1 = 0;
      for (int x = 0; x < 2; ++x) {
        const double t = 1 - x, p = sig(kW0 * x + kB0), s = sig(kW1 * x + kB1);
        prob *= B[x] ? p : 1 - p;
        C[x] = (t - B[x] * s) * (t - B[x] * s);
        score_w0[x] = (B[x] - p) * x;
        score_b0[x] = B[x] - p;
        const double dy = -2.0 * (t - B[x] * s) * B[x] * s * (1 - s);
        path_w1 += dy * x, path_b1 += dy;
      }
      const std::array<double, 4> causal{C[0] * score_w0[0] + C[1] * score_w0[1],
                                         C[0] * score_b0[0] + C[1] * score_b0[1], path_w1, path_b1};
      const std::array<double, 4> whole{(C[0] + C[1]) * (score_w0[0] + score_w0[1]),
                                        (C[0] + C[1]) * (score_b0[0] + score_b0[1]), path_w1, path_b1};
      for (int i = 0; i < 4; ++i) {
        m.mean[i] += prob * causal[i];
        m.second[i] += prob * causal[i] * causal[i];
        m.second_whole[i] += prob * whole[i] * whole[i];
      }
    }
  return m;
}

}  // namespace not_gate_exact
