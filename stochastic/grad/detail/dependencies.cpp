// The dependency analysis (see dependencies.hpp): one forward sweep over the cost's
// ancestors in id (topological) order, merging the operands' sets. An operand whose rows the
// node keeps apart in groups (OpTraits::row_group: row b reads rows [b k, (b + 1) k)) passes
// its row-local choices on as row-local: a choice of a node's local set has a multiple G of the
// node's rows, and row i of the node depends on rows [i G, (i + 1) G) of it only.
#include "scg/stochastic/grad/detail/dependencies.hpp"

#include <algorithm>

#include "scg/core/distribution.hpp"
#include "scg/ops/detail/helpers.hpp"

namespace scg::detail {

bool is_score_choice(const Graph& g, std::size_t id, const std::vector<std::size_t>& score_nodes) {
  const auto* d = dynamic_cast<const Distribution*>(g.op(id));
  if (!d) return false;
  return d->gradient_path() == GradientPath::kScore ||
         std::find(score_nodes.begin(), score_nodes.end(), id) != score_nodes.end();
}

bool is_frozen_box(const Graph& g, std::size_t id) {
  return g.derived(id) && (is_magic_box(g.op(id)) || is_live_box(g.op(id)));
}

DepSet Dependencies::cons(std::uint32_t choice, DepSet rest) {
  const auto [it, fresh] = table_.try_emplace(Key{choice, rest}, nullptr);
  if (fresh) {
    cells_.push_back({choice, rest});
    it->second = &cells_.back();
  }
  return it->second;
}

// Union of two sorted lists: take the larger heads until the lists meet (a shared tail),
// then rebuild the taken prefix onto it. A set that gains newer choices costs O(new).
DepSet Dependencies::unite(DepSet a, DepSet b) {
  scratch_.clear();
  while (a != b && a && b) {
    if (a->choice > b->choice) {
      scratch_.push_back(a->choice), a = a->rest;
    } else if (b->choice > a->choice) {
      scratch_.push_back(b->choice), b = b->rest;
    } else {
      scratch_.push_back(a->choice), a = a->rest, b = b->rest;
    }
  }
  DepSet out = a ? a : b;  // the meeting point (or what is left of one list)
  for (std::size_t i = scratch_.size(); i-- > 0;) out = cons(scratch_[i], out);
  return out;
}

// a \ b for sorted lists; where the lists meet, everything left is removed.
DepSet Dependencies::minus(DepSet a, DepSet b) {
  scratch_.clear();
  while (a && a != b) {
    while (b && b->choice > a->choice) b = b->rest;
    if (!b || b->choice != a->choice) scratch_.push_back(a->choice);
    a = a->rest;
  }
  DepSet out = nullptr;
  for (std::size_t i = scratch_.size(); i-- > 0;) out = cons(scratch_[i], out);
  return out;
}

Dependencies::Dependencies(const Graph& g, std::size_t top, std::vector<std::size_t> score_nodes,
                           const std::vector<char>& held)
    : anc_(g.ancestors(std::vector<std::size_t>{top})), choice_(top + 1, 0) {
  bool any = false;
  for (std::size_t id = 0; id <= top; ++id)
    if (anc_[id] && is_score_choice(g, id, score_nodes) && !(id < held.size() && held[id]))
      choice_[id] = 1, any = true;
  if (!any) return;  // a cost with no score-function choice: nothing depends on anything
  sets_.resize(top + 1);
  for (std::size_t id = 0; id <= top; ++id) {
    if (!anc_[id] || g.kind(id) != NodeKind::kOp || is_frozen_box(g, id)) continue;
    const Op* op = g.op(id);
    const auto in = g.inputs(id);
    const Eigen::Index rows = g.shape(id).rows;
    const Eigen::Index grouped = rows * static_cast<Eigen::Index>(op->traits().row_group);
    // Operands whose rows this node keeps apart pass their sets on; the others make every
    // choice they carry full here. Full wins over local.
    DepSet local = nullptr, full = nullptr;
    const std::uint32_t opaque = op->traits().opaque_operands;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const Sets& s = sets_[in[i]];
      if (!s.local && !s.full) continue;
      if (opaque & RowLocality::only(static_cast<unsigned>(std::min<std::size_t>(i, 31)))) continue;
      if (op->row_local(i) && (g.shape(in[i]).rows == rows || g.shape(in[i]).rows == grouped)) {
        local = unite(local, s.local);
        full = unite(full, s.full);
      } else {
        full = unite(full, unite(s.local, s.full));
      }
    }
    if (choice_[id]) local = unite(local, cons(static_cast<std::uint32_t>(id), nullptr));
    sets_[id] = {full ? minus(local, full) : local, full};
  }
}

std::vector<Dep> Dependencies::list(std::size_t id) const {
  std::vector<Dep> out;
  for_each(local(id), [&](std::size_t s) { out.push_back({s, true}); });
  for_each(full(id), [&](std::size_t s) { out.push_back({s, false}); });
  std::sort(out.begin(), out.end(), [](const Dep& a, const Dep& b) { return a.choice < b.choice; });
  return out;
}

}  // namespace scg::detail
