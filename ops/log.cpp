// log: out = ln x. d = g / x.
#include "elementwise.hpp"

namespace scg {
namespace {
struct Log {
  static constexpr const char* kName = "log";
  template <class X> auto operator()(const X& x) const { return ew::log(x); }
  Var grad(const Var& x, const Var&, const Var& g) const { return g / x; }
};
}  // namespace

Var log(const Var& x) { return detail::unary<Log>(x); }
}  // namespace scg
