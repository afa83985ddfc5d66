#pragma once
// The finite-difference checker every op test uses: first derivatives (scg::grad) against
// central differences of the value, and second derivatives (scg::grad of a scg::grad, as a
// Hessian-vector product) against central differences of the first-order gradient nodes.
//
// Usage:
//   scg_test::gradcheck("mul 3x4*1x4", {{3, 4, Domain::kAny}, {1, 4, Domain::kAny}},
//                       [](const Vars& x) { return x[0] * x[1]; });
// The function gets one parameter per input spec and may return a node of any shape; the
// checker reduces it to the 1x1 cost
//     C = sum(W1 * out) + 0.5 * sum(W2 * square(out))
// with fixed random constants W1, W2 of out's shape, so every output element matters (with a
// distinct weight) and even a linear op has a non-zero Hessian J^T diag(W2) J, which makes the
// second-order check exercise the op's gradient rule a second time instead of just checking
// that zeros come back.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <scg/scg.hpp>
#include <string>
#include <vector>

namespace scg_test {

using Vars = std::vector<scg::Var>;
using Builder = std::function<scg::Var(const Vars&)>;

/// Where random input values are drawn from (uniformly).
enum class Domain {
  kAny,       ///< [-2, 2]
  kPositive,  ///< [0.5, 2.5]: log, sqrt, pow with fractional exponents, divisors
  kNonZero,   ///< +-[0.3, 2]: relu, abs, step, sign stay 0.3 away from their kink
  kLarge,     ///< [-8, 8]: saturating regions of sigmoid, tanh, softplus
};

/// One input of a checked function: a parameter of this shape, drawn from `domain`.
struct Input {
  Eigen::Index rows = 1, cols = 1;
  Domain domain = Domain::kAny;
};

/// Finite-difference step and tolerances.
struct GradcheckOptions {
  // Central differences: the truncation error is h^2/6 |f'''| (~2e-11 |f'''| at h = 1e-5)
  // and the rounding error about eps |f| / h (~2e-11 |f|). With the moderate inputs and
  // outputs of the table (|f|, |f'''| below ~100) both stay below ~5e-9, so
  //     |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)
  // with rtol = 1e-6 and atol = 1e-6 leaves a wide margin (over the whole op table and 30
  // seeds the worst error measured was 3% of this tolerance), while any wrong gradient rule
  // (a missing factor, a sign, a wrong broadcast sum) is off by O(1) relative.
  // The absolute part covers derivatives that are exactly zero analytically, where the
  // numeric difference is pure rounding noise.
  double h = 1e-5;
  double rtol = 1e-6;
  double atol = 1e-6;
  bool second_order = true;
  int directions = 2;          ///< random directions v for the Hessian-vector check
  std::uint64_t seed = 20240;  ///< points, weights and directions all come from this seed
  bool assert_close = true;    ///< false: only measure (for tests of the checker itself)
};

/// Portable uniform double in [lo, hi) from a 64-bit engine (std distributions are not
/// specified bit-for-bit across standard libraries).
inline double uniform(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

inline double draw(std::mt19937_64& rng, Domain d) {
  switch (d) {
    case Domain::kAny: return uniform(rng, -2.0, 2.0);
    case Domain::kPositive: return uniform(rng, 0.5, 2.5);
    case Domain::kNonZero: {
      const double m = uniform(rng, 0.3, 2.0);
      return (rng() & 1) ? m : -m;
    }
    case Domain::kLarge: return uniform(rng, -8.0, 8.0);
  }
  return 0.0;
}

inline scg::Tensor random_tensor(std::mt19937_64& rng, Eigen::Index r, Eigen::Index c,
                                 Domain d) {
  scg::Tensor t(r, c);
  for (Eigen::Index j = 0; j < c; ++j)
    for (Eigen::Index i = 0; i < r; ++i) t(i, j) = draw(rng, d);
  return t;
}

/// Weights of magnitude [0.5, 1.5] with random signs: every element counts, none cancels.
inline scg::Tensor random_weights(std::mt19937_64& rng, scg::Shape s) {
  scg::Tensor t(s);
  for (Eigen::Index j = 0; j < s.cols; ++j)
    for (Eigen::Index i = 0; i < s.rows; ++i) {
      const double m = uniform(rng, 0.5, 1.5);
      t(i, j) = (rng() & 1) ? m : -m;
    }
  return t;
}

/// True if a and n agree within atol + rtol * max(|a|, |n|).
inline bool close(double a, double n, double rtol, double atol) {
  return std::fabs(a - n) <= atol + rtol * std::max(std::fabs(a), std::fabs(n));
}

/// What a check measured (for tests that want to assert more).
struct GradcheckReport {
  int compared = 0;          ///< number of scalar comparisons made (first + second order)
  double worst_ratio = 0.0;  ///< max over comparisons of |a - n| / (atol + rtol max(|a|,|n|))
  double worst_first = 0.0;  ///< the same over first-order comparisons only
  double worst_second = 0.0; ///< the same over second-order comparisons only
};

/// Checks f's first derivatives, and (unless disabled) Hessian-vector products, at a random
/// point drawn from `inputs` with `opt.seed`. Every mismatch is a failed CHECK naming the case,
/// the input and the element.
inline GradcheckReport gradcheck(const std::string& name, const std::vector<Input>& inputs,
                                 const Builder& f, const GradcheckOptions& opt = {}) {
  INFO("case: " << name);
  GradcheckReport rep;
  std::mt19937_64 rng(opt.seed);
  scg::Graph g;
  Vars params;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::string pname = std::to_string(i);
    pname.insert(0, 1, 'x');  // (not "x" + ...: GCC 12 warns falsely, bug 105329)
    params.push_back(g.parameter(pname, random_tensor(rng, inputs[i].rows, inputs[i].cols,
                                                      inputs[i].domain)));
  }
  const scg::Var out = f(params);
  const scg::Var w1 = g.constant(random_weights(rng, out.shape()));
  const scg::Var w2 = g.constant(random_weights(rng, out.shape()));
  const scg::Var cost = scg::sum(w1 * out) + 0.5 * scg::sum(w2 * scg::square(out));
  REQUIRE(cost.shape() == scg::Shape{1, 1});

  const Vars grads = scg::grad(cost, params);
  REQUIRE(grads.size() == params.size());
  for (std::size_t i = 0; i < params.size(); ++i) REQUIRE(grads[i].shape() == params[i].shape());

  // Hessian-vector products: H v = grad(sum_i sum(grad_i * v_i)), one per direction.
  std::vector<std::vector<scg::Tensor>> dirs;
  Vars hv_nodes;  // directions x params, flattened
  if (opt.second_order) {
    for (int d = 0; d < opt.directions; ++d) {
      std::vector<scg::Tensor> v;
      scg::Var dot;
      for (std::size_t i = 0; i < params.size(); ++i) {
        v.push_back(random_tensor(rng, params[i].rows(), params[i].cols(), Domain::kAny));
        const scg::Var term = scg::sum(grads[i] * g.constant(v.back()));
        dot = dot.empty() ? term : dot + term;
      }
      const Vars hv = scg::grad(dot, params);
      for (std::size_t i = 0; i < params.size(); ++i) {
        REQUIRE(hv[i].shape() == params[i].shape());
        hv_nodes.push_back(hv[i]);
      }
      dirs.push_back(std::move(v));
    }
  }

  std::vector<scg::Tensor> x0;
  for (const auto& p : params) x0.push_back(p.value());
  scg::Session s(g, opt.seed);
  const std::vector<scg::Tensor> g0 = s.run(grads);
  const std::vector<scg::Tensor> hv0 =
      hv_nodes.empty() ? std::vector<scg::Tensor>{} : s.run(hv_nodes);

  auto compare = [&](double a, double n, double& worst) {
    ++rep.compared;
    const double scale = opt.atol + opt.rtol * std::max(std::fabs(a), std::fabs(n));
    const double ratio = std::isfinite(a) && std::isfinite(n) ? std::fabs(a - n) / scale : INFINITY;
    worst = std::max(worst, ratio);
    rep.worst_ratio = std::max(rep.worst_ratio, ratio);
    if (opt.assert_close)
      CHECK_MESSAGE(close(a, n, opt.rtol, opt.atol), "analytic " << a << " vs numeric " << n);
  };

  // (a) first order: dC/dx_i(r, c) against (C(x + h e) - C(x - h e)) / 2h, element by element.
  for (std::size_t i = 0; i < params.size(); ++i) {
    for (Eigen::Index c = 0; c < x0[i].cols(); ++c)
      for (Eigen::Index r = 0; r < x0[i].rows(); ++r) {
        scg::Tensor x = x0[i];
        x(r, c) = x0[i](r, c) + opt.h;
        params[i].set_value(x);
        const double up = s.run(cost).item();
        x(r, c) = x0[i](r, c) - opt.h;
        params[i].set_value(x);
        const double down = s.run(cost).item();
        INFO("first order, d/d x" << i << "(" << r << ", " << c << ")");
        compare(g0[i](r, c), (up - down) / (2 * opt.h), rep.worst_first);
      }
    params[i].set_value(x0[i]);
  }

  // (b) second order: H v against (grad(x + h v) - grad(x - h v)) / 2h, which is exactly
  // d/dt grad(x + t v) at t = 0, differenced on the first-order gradient nodes.
  for (std::size_t d = 0; d < dirs.size(); ++d) {
    std::vector<scg::Tensor> up, down;
    for (double sgn : {1.0, -1.0}) {
      for (std::size_t i = 0; i < params.size(); ++i)
        params[i].set_value(scg::Tensor(scg::Tensor::Matrix(x0[i].matrix() +
                                                            sgn * opt.h * dirs[d][i].matrix())));
      (sgn > 0 ? up : down) = s.run(grads);
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      params[i].set_value(x0[i]);
      const scg::Tensor& a = hv0[d * params.size() + i];
      for (Eigen::Index c = 0; c < a.cols(); ++c)
        for (Eigen::Index r = 0; r < a.rows(); ++r) {
          INFO("second order, direction " << d << ", (H v) for x" << i << "(" << r << ", " << c
                                          << ")");
          compare(a(r, c), (up[i](r, c) - down[i](r, c)) / (2 * opt.h), rep.worst_second);
        }
    }
  }
  return rep;
}

}  // namespace scg_test
