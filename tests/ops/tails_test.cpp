// Relative accuracy in the tails, against long double: sigmoid, log_sigmoid, softplus,
// log_softmax, bernoulli and categorical log_prob, and their first derivatives, on the 1x1
// path and on the tensor path.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <scg/scg.hpp>
#include <string>
#include <vector>

namespace {
using LD = long double;
LD sig(LD x) { return 1.0L / (1.0L + std::exp(-x)); }
LD softplus(LD x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

const std::vector<double> kXs = {-700, -300, -100, -50, -37, -20, -5, -1, -1e-3, -1e-12, 0,
                                 1e-12, 1e-3, 1, 5, 20, 37, 50, 100, 300, 700};
constexpr double kUlps = 4;  // allowed relative error, in units of 2^-53

double rel_err(double got, LD want) {
  if (want == 0) return got == 0 ? 0 : INFINITY;
  return static_cast<double>(std::fabs((got - want) / want)) / 0x1p-53;
}

/// f on every x, 1x1 and as one row, against ref; and d/dx against dref.
void check(const std::string& name, const std::function<scg::Var(const scg::Var&)>& f,
           const std::function<LD(LD)>& ref, const std::function<LD(LD)>& dref) {
  scg::Graph g;
  scg::Tensor row(1, static_cast<Eigen::Index>(kXs.size()));
  for (std::size_t i = 0; i < kXs.size(); ++i) row(0, static_cast<Eigen::Index>(i)) = kXs[i];
  auto v = g.parameter("v", row);
  auto fv = f(v);
  auto dv = scg::grad(scg::sum(fv), {v})[0];
  scg::Session s(g, 1);
  const scg::Tensor val = s.run(fv), der = s.run(dv);
  for (std::size_t i = 0; i < kXs.size(); ++i) {
    auto p = g.parameter("p", kXs[i]);
    auto fp = f(p);
    auto dp = scg::grad(fp, {p})[0];
    const double sv = s.run(fp).item(), sd = s.run(dp).item();
    const auto j = static_cast<Eigen::Index>(i);
    INFO(name << " at x = " << kXs[i] << ": value 1x1 " << sv << " tensor " << val(0, j) << " want "
              << static_cast<double>(ref(kXs[i])) << "; derivative 1x1 " << sd << " tensor " << der(0, j)
              << " want " << static_cast<double>(dref(kXs[i])));
    CHECK(rel_err(sv, ref(kXs[i])) <= kUlps);
    CHECK(rel_err(val(0, j), ref(kXs[i])) <= kUlps);
    CHECK(rel_err(sd, dref(kXs[i])) <= kUlps);
    CHECK(rel_err(der(0, j), dref(kXs[i])) <= kUlps);
  }
}
}  // namespace

TEST_CASE("sigmoid, log_sigmoid, softplus: values and derivatives within 4 ulps, -700 to 700") {
  check("sigmoid", [](const scg::Var& x) { return scg::sigmoid(x); }, sig,
        [](LD x) { return sig(x) * sig(-x); });
  check("log_sigmoid", [](const scg::Var& x) { return scg::log_sigmoid(x); },
        [](LD x) { return -softplus(-x); }, [](LD x) { return sig(-x); });
  check("softplus", [](const scg::Var& x) { return scg::softplus(x); }, softplus, sig);
}

TEST_CASE("bernoulli and categorical log_prob in the tails: values and d/dlogit within 4 ulps") {
  // log p(x = 1) = -softplus(-l), log p(x = 0) = -softplus(l); the categorical over [l, 0]
  // has the same log-probabilities for classes 0 and 1. Each is built by the distribution's
  // log_prob at a constant value (as expectation builds it).
  for (double x : {0.0, 1.0}) {
    const LD sgn = x == 1.0 ? 1 : -1;
    check("bernoulli log_prob, x = " + std::to_string(x),
          [x](const scg::Var& l) {
            const scg::Var b = scg::bernoulli(l);
            const scg::Var params[] = {l};
            return scg::stochastic_op(b)->log_prob(params, l.graph().constant(scg::Tensor(l.shape(), x)));
          },
          [sgn](LD l) { return -softplus(-sgn * l); }, [sgn](LD l) { return sgn * sig(-sgn * l); });
    check("categorical log_prob over [l, 0], class " + std::to_string(1 - static_cast<int>(x)),
          [x](const scg::Var& l) {
            scg::Graph& g = l.graph();
            // Rows [l_i, 0] for each element of l (a 1 x n row becomes n x 2).
            const scg::Var logits = scg::matmul(scg::transpose(l), g.constant(scg::Tensor::from_rows({{1.0, 0.0}})));
            const scg::Var c = scg::categorical(logits);
            scg::Tensor onehot(logits.rows(), 2);
            onehot.matrix().col(x == 1.0 ? 0 : 1).setOnes();
            const scg::Var params[] = {logits};
            return scg::transpose(scg::stochastic_op(c)->log_prob(params, g.constant(onehot)));
          },
          [sgn](LD l) { return -softplus(-sgn * l); }, [sgn](LD l) { return sgn * sig(-sgn * l); });
  }
}
