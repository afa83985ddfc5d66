#pragma once
// The Gaussian model of the DReG tests, with K = 2 samples: z_k = mu + sigma eps_k, p(z) =
// N(0, 1), p(x | z) = N(x; a z, 1), q = N(mu, sigma), cost = -log_mean_exp(log w, 2), and its
// exact expectations: integrals over (eps_1, eps_2) by Gauss-Legendre quadrature on [-8, 8]^2;
// the exact IWAE gradient by central differences of the bound (written out in long double)
// integrated the same way.
#include <array>
#include <boost/math/quadrature/gauss.hpp>
#include <cmath>
#include <numbers>
#include <scg/scg.hpp>
#include <vector>

namespace iwae_gauss {
using ld = long double;
constexpr double kX = 1.3, kMu = 0.4, kLogSigma = -0.3, kA = 0.8;

struct Gauss {
  scg::Var theta;  // 1 x 3: mu, log sigma, a
  scg::Var mu, log_sigma, a, z, bound, cost;
};

/// The model; log_q_by_hand: log q written out instead of log_prob(z).
inline Gauss build(scg::Graph& g, bool log_q_by_hand = false) {
  Gauss m;
  m.theta = g.parameter("theta", scg::Tensor::from_rows({{kMu, kLogSigma, kA}}));
  m.mu = scg::slice_cols(m.theta, 0, 1);
  m.log_sigma = scg::slice_cols(m.theta, 1, 1);
  m.a = scg::slice_cols(m.theta, 2, 1);
  const scg::Var two = g.constant(scg::Tensor::from_rows({{0.0}, {0.0}}));
  m.z = scg::normal(m.mu + two, scg::exp(m.log_sigma + two));
  const double half_log_2pi = 0.5 * std::log(2.0 * std::numbers::pi);
  const scg::Var log_p =
      -0.5 * scg::square(m.z) - 0.5 * scg::square(kX - m.a * m.z) - 2.0 * half_log_2pi;
  const scg::Var log_q = log_q_by_hand ? -0.5 * scg::square((m.z - m.mu) / scg::exp(m.log_sigma)) -
                                             m.log_sigma - half_log_2pi
                                       : scg::log_prob(m.z);
  m.bound = scg::log_mean_exp(log_p - log_q, 2);
  m.cost = -scg::sum(m.bound);
  return m;
}

/// The bound at noise (e1, e2) and parameters p = (mu, log sigma, a), in long double.
inline ld bound(ld e1, ld e2, const std::array<ld, 3>& p) {
  const ld sigma = std::exp(p[1]);
  ld total = 0;
  for (ld e : {e1, e2}) {
    const ld z = p[0] + sigma * e, r = kX - p[2] * z;
    total += std::exp(-0.5L * z * z - 0.5L * r * r + 0.5L * e * e + p[1]);  // 2 pi terms cancel
  }
  return std::log(total / 2);
}

/// Calls f(e1, e2, weight) over the quadrature nodes: weight includes the two normal densities.
template <class F>
void quadrature(F&& f) {
  using Rule = boost::math::quadrature::gauss<double, 40>;
  std::vector<double> x, w;
  for (std::size_t i = 0; i < Rule::abscissa().size(); ++i) {
    const double t = 8.0 * Rule::abscissa()[i], wt = 8.0 * Rule::weights()[i];
    const double dens = std::exp(-0.5 * t * t) / std::sqrt(2.0 * std::numbers::pi);
    x.push_back(t), w.push_back(wt * dens);
    if (t != 0.0) x.push_back(-t), w.push_back(wt * dens);
  }
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = 0; j < x.size(); ++j) f(x[i], x[j], w[i] * w[j]);
}

/// d E[cost] / d (mu, log sigma, a), by central differences of the integrated bound.
inline std::array<ld, 3> exact_gradient() {
  std::array<ld, 3> out{};
  const ld h = 1e-4L;
  for (int i = 0; i < 3; ++i) {
    std::array<ld, 3> up{kMu, kLogSigma, kA}, down = up;
    up[i] += h, down[i] -= h;
    ld fd = 0;
    quadrature([&](double e1, double e2, double w) {
      fd += w * (bound(e1, e2, up) - bound(e1, e2, down));
    });
    out[i] = -fd / (2 * h);
  }
  return out;
}

}  // namespace iwae_gauss
