// lgamma: out = log |Gamma(x)|. d = g digamma(x). digamma and every polygamma(n, x) are one op
// family, each differentiating to the next: d polygamma(n, x) = polygamma(n + 1, x), so the
// derivatives go to any order. Values from Boost.Math; at a pole (x = 0, -1, ...) the value is
// NaN or infinity, which the session's finite check reports naming the node.
#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/polygamma.hpp>
#include <limits>

#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
// Errors become NaN or infinity (reported by the finite check), never a C++ exception thrown
// from inside a kernel.
using Quiet = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

Var polygamma(int n, const Var& x);

struct Lgamma {
  static constexpr const char* kName = "lgamma";
  template <class X>
  auto operator()(const X& x) const {
    return ew::map(x, [](double v) { return boost::math::lgamma(v, Quiet()); });
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * polygamma(0, x); }
};

struct Polygamma {
  static constexpr const char* kName = "polygamma";
  int n;
  std::string label() const { return n == 0 ? "digamma" : "polygamma " + std::to_string(n); }
  template <class X>
  auto operator()(const X& x) const {
    const int order = n;
    return ew::map(x, [order](double v) { return boost::math::polygamma(order, v, Quiet()); });
  }
  Var grad(const Var& x, const Var&, const Var& g) const { return g * polygamma(n + 1, x); }
};

Var polygamma(int n, const Var& x) { return detail::unary(x, Polygamma{n}); }
}  // namespace

Var lgamma(const Var& x) { return detail::unary<Lgamma>(x); }
Var digamma(const Var& x) { return polygamma(0, x); }
}  // namespace scg
