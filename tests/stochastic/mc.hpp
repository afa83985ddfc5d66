#pragma once
// Monte-Carlo helpers for stochastic tests: fixed seeds, means compared with exact values
// within a stated number of standard errors.
#include <doctest/doctest.h>

#include <cmath>
#include <scg/scg.hpp>
#include <vector>

namespace scg_test {

struct Moments {
  std::vector<double> mean, se, var;  // per flattened element of the targets
};

/// Runs `targets` `runs` times and returns per-element mean, standard error and variance.
inline Moments sample_moments(scg::Session& s, const std::vector<scg::Var>& targets, int runs) {
  std::vector<double> m, m2;
  for (int i = 0; i < runs; ++i) {
    const auto& v = s.run(targets);
    std::size_t k = 0;
    for (const auto& t : v)
      for (Eigen::Index j = 0; j < t.shape().size(); ++j, ++k) {
        if (m.size() <= k) m.push_back(0), m2.push_back(0);
        m[k] += t.data()[j];
        m2[k] += t.data()[j] * t.data()[j];
      }
  }
  Moments r;
  for (std::size_t k = 0; k < m.size(); ++k) {
    const double mean = m[k] / runs;
    const double var = std::max(0.0, m2[k] / runs - mean * mean) * runs / (runs - 1.0);
    r.mean.push_back(mean);
    r.var.push_back(var);
    r.se.push_back(std::sqrt(var / runs));
  }
  return r;
}

/// Flattened values of `targets` in one run.
inline std::vector<double> values(scg::Session& s, const std::vector<scg::Var>& targets) {
  std::vector<double> out;
  for (const auto& t : s.run(targets))
    for (Eigen::Index j = 0; j < t.shape().size(); ++j) out.push_back(t.data()[j]);
  return out;
}

/// CHECKs each Monte-Carlo mean within `k` standard errors of the exact value. A zero-variance
/// element must match to 1e-9.
inline void check_within(const Moments& mc, const std::vector<double>& exact, double k) {
  REQUIRE(mc.mean.size() == exact.size());
  for (std::size_t i = 0; i < exact.size(); ++i) {
    INFO("element " << i << ": Monte-Carlo " << mc.mean[i] << " +- " << mc.se[i] << ", exact "
                    << exact[i]);
    CHECK(std::fabs(mc.mean[i] - exact[i]) <= k * mc.se[i] + 1e-9);
  }
}

/// CHECKs a count of `n` draws within 5 standard errors sqrt(p (1 - p) / n) of the exact
/// probability p (exactly, if p is 0 or 1).
inline void check_frequency(int count, int n, long double p, const char* what) {
  const double f = static_cast<double>(count) / n, pd = static_cast<double>(p);
  const double se = std::sqrt(pd * (1.0 - pd) / n);
  INFO(what << ": frequency " << f << ", exact " << pd << " (se " << se << ")");
  CHECK(std::fabs(f - pd) <= 5.0 * se + 1e-12);
}

/// The state of row r of a one-hot value (REQUIREs the row one-hot).
inline int row_state(const scg::Tensor& t, Eigen::Index r) {
  int k = -1, ones = 0;
  for (Eigen::Index j = 0; j < t.cols(); ++j) {
    REQUIRE((t(r, j) == 0.0 || t(r, j) == 1.0));
    if (t(r, j) == 1.0) k = static_cast<int>(j), ++ones;
  }
  REQUIRE(ones == 1);
  return k;
}

}  // namespace scg_test
