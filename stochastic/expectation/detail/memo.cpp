#include "scg/stochastic/expectation/detail/memo.hpp"

#include <bit>

#include "scg/core/op.hpp"

namespace scg::detail {

Var Memo::constant(Tensor value) {
  Key key{static_cast<std::uint64_t>(value.rows()), static_cast<std::uint64_t>(value.cols())};
  for (Eigen::Index i = 0; i < value.shape().size(); ++i)
    key.push_back(std::bit_cast<std::uint64_t>(value.data()[i]));
  auto [it, fresh] = constants_.try_emplace(std::move(key));
  if (fresh) it->second = g_.constant(std::move(value));
  return it->second;
}

Var Memo::apply(const std::shared_ptr<const Op>& op, const std::vector<Var>& in) {
  if (op->traits().random || op->traits().state.size() != 0) return g_.apply(op, in);
  Key key = op_key(op.get());
  for (const Var& v : in) key.push_back(v.id());
  auto [it, fresh] = applied_.try_emplace(std::move(key));
  if (fresh) it->second = g_.apply(op, in);
  return it->second;
}

Var Memo::canon(const Var& v) {
  const std::size_t id = v.id();
  const Op* op = g_.op(id);
  if (!op || op->traits().random || op->traits().state.size() != 0) return v;
  Key key = op_key(op);
  for (std::size_t i : g_.inputs(id)) key.push_back(i);
  return applied_.try_emplace(std::move(key), v).first->second;
}

Var Memo::canon_since(const Var& v, std::size_t from) {
  if (v.empty() || v.id() < from) return v;
  std::vector<Var> re(v.id() + 1 - from);
  std::vector<Var> in;
  for (std::size_t id = from; id <= v.id(); ++id) {
    Var& out = re[id - from];
    if (!g_.op(id)) {
      out = g_.kind(id) == NodeKind::kConstant ? constant(*g_.value(id)) : g_.var(id);
      continue;
    }
    in.clear();
    bool same = true;
    for (std::size_t i : g_.inputs(id)) {
      in.push_back(i >= from ? re[i - from] : g_.var(i));
      same = same && in.back().id() == i;
    }
    out = same ? canon(g_.var(id)) : apply(g_.shared_op(id), in);
  }
  return re.back();
}

}  // namespace scg::detail
