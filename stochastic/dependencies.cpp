// The dependency analysis (see dependencies.hpp): one forward sweep over the cost's
// ancestors in id (topological) order, merging the operands' choice lists.
#include "dependencies.hpp"

#include <algorithm>
#include <map>

#include "../core/distribution.hpp"

namespace scg::detail {

bool is_score_choice(const Graph& g, std::size_t id) {
  const auto* d = dynamic_cast<const Distribution*>(g.op(id));
  return d && d->gradient_path() == GradientPath::kScore;
}

bool same_deps(const DepList& a, const DepList& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const Dep& x, const Dep& y) {
    return x.choice == y.choice && x.row_local == y.row_local;
  });
}

Dependencies::Dependencies(const Graph& g, std::size_t top)
    : anc_(g.ancestors(std::vector<std::size_t>{top})) {
  bool any = false;
  for (std::size_t id = 0; id <= top && !any; ++id) any = anc_[id] && is_score_choice(g, id);
  if (!any) return;  // a deterministic cost (or one with pathwise choices only)
  deps_.resize(top + 1);
  std::map<std::size_t, bool> merged;
  for (std::size_t id = 0; id <= top; ++id) {
    if (!anc_[id] || g.derived(id) || g.kind(id) != NodeKind::kOp) continue;
    const Op* op = g.op(id);
    const auto in = g.inputs(id);
    const Eigen::Index rows = g.shape(id).rows;
    merged.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const bool local = op->row_local(i) && g.shape(in[i]).rows == rows;
      for (const Dep& d : deps_[in[i]]) {
        auto [it, fresh] = merged.emplace(d.choice, d.row_local && local);
        if (!fresh) it->second = it->second && d.row_local && local;
      }
    }
    if (is_score_choice(g, id)) merged[id] = true;
    DepList& out = deps_[id];
    out.reserve(merged.size());
    for (auto [s, rl] : merged) out.push_back({s, rl});
  }
}

}  // namespace scg::detail
