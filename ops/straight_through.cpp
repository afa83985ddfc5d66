// straight_through(value, surrogate): the value of `value`, the gradient of `surrogate`
// (straight-through estimators: a hard 0/1 or one-hot value, trained through its relaxation).
// d/dvalue = 0, d/dsurrogate = g. Both operands share one shape.
#include "scg/ops/detail/elementwise.hpp"

namespace scg {
namespace {
struct StraightThrough {
  static constexpr const char* kName = "straight_through";
  template <class A, class B>
  auto operator()(const A& a, const B&) const {
    return a;
  }
  std::array<Var, 2> grad(const Var&, const Var&, const Var&, const Var& g,
                          std::span<const char>) const {
    return {Var(), g};
  }
};
}  // namespace

Var straight_through(const Var& value, const Var& surrogate) {
  if (value.empty() || surrogate.empty())
    throw Error("straight_through: an operand is an empty Var");
  if (value.shape() != surrogate.shape())
    throw ShapeError("straight_through: value " + value.shape().str() + " and surrogate " +
                     surrogate.shape().str() + " must have one shape");
  return detail::binary<StraightThrough>(value, surrogate);
}
}  // namespace scg
