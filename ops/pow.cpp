// pow: out = x^p for a constant p. d = g p x^(p-1).
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct Pow {
  static constexpr const char* kName = "pow";
  double p;
  std::string label() const { return "pow " + std::to_string(p); }
  template <class X>
  auto operator()(const X& x) const {
    return ew::pow(x, p);
  }
  Var grad(const Var& x, const Var&, const Var& g) const {
    return p == 1.0 ? g : g * (p * pow(x, p - 1.0));
  }
};
}  // namespace

Var pow(const Var& x, double p) { return detail::unary(x, Pow{p}); }
}  // namespace scg
