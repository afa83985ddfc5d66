// The elimination order and plan: minimum degree within groups of variables that share no
// factor.
#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/minimum_degree_ordering.hpp>
#include <iterator>
#include <set>

#include "scg/stochastic/expectation/detail/plan.hpp"

namespace scg::detail {
namespace {

/// The variables in elimination order: group by group (independent sub-problems, by
/// connected component of the interaction graph), each in minimum-degree order.
std::vector<int> elimination_order(std::size_t n,
                                   const std::vector<std::vector<std::size_t>>& scopes,
                                   const std::vector<char>& local) {
  std::set<std::pair<std::size_t, std::size_t>> edges;
  for (const auto& scope : scopes)
    for (std::size_t i = 0; i < scope.size(); ++i)
      for (std::size_t k = i + 1; k < scope.size(); ++k) edges.insert({scope[i], scope[k]});
  using Undirected = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  using Directed = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  Undirected ug(n);
  // One extra isolated vertex: Boost 1.74's minimum_degree_ordering indexes its degree buckets
  // out of range when the whole graph is one clique (two choices sharing a factor; an assert in
  // debug builds, a heap overflow under ASan). With the padding vertex it never is; it is
  // ordered like any vertex and skipped below.
  Directed dg(n + 1);
  for (const auto& [a, b] : edges) {
    boost::add_edge(a, b, ug);
    boost::add_edge(a, b, dg);
    boost::add_edge(b, a, dg);
  }
  std::vector<int> component(n, 0), order(n + 1, 0), inverse(n + 1, 0), degree(n + 1, 0),
      supernode(n + 1, 1);
  if (n) boost::connected_components(ug, component.data());
  const auto index = boost::get(boost::vertex_index, dg);
  boost::minimum_degree_ordering(
      dg, boost::make_iterator_property_map(degree.data(), index, degree[0]), inverse.data(),
      order.data(), boost::make_iterator_property_map(supernode.data(), index, supernode[0]), 0,
      index);
  order.erase(std::find(order.begin(), order.end(), static_cast<int>(n)));  // the padding vertex
  // By group, local variables first within one (their minimum-degree order kept).
  auto key = [&](int v) {
    const auto u = static_cast<std::size_t>(v);
    return std::pair(component[u], local.empty() || !local[u] ? 1 : 0);
  };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return key(a) < key(b); });
  return order;
}

}  // namespace

EliminationPlan plan_elimination(std::vector<std::size_t> states,
                                 std::vector<std::vector<std::size_t>> scopes,
                                 std::vector<char> local) {
  EliminationPlan plan;
  const std::size_t n = states.size();
  const std::vector<int> order = elimination_order(n, scopes, local);
  plan.local = std::move(local);
  auto is_local = [&](std::size_t v) { return !plan.local.empty() && plan.local[v] != 0; };
  plan.states = std::move(states);
  plan.scopes = std::move(scopes);
  plan.inputs = plan.scopes.size();
  std::vector<char> alive(plan.inputs, 1);
  std::vector<std::vector<std::size_t>> holding(n);
  for (std::size_t f = 0; f < plan.inputs; ++f)
    for (std::size_t v : plan.scopes[f]) holding[v].push_back(f);
  for (const int vi : order) {
    const auto v = static_cast<std::size_t>(vi);
    if (plan.states[v] == 0) continue;  // never reached: in no factor
    EliminationStep step{v, {}, plan.scopes.size(), {}};
    for (std::size_t f : holding[v]) {
      if (!alive[f]) continue;
      step.consumed.push_back(f), alive[f] = 0;
      std::vector<std::size_t> u;
      std::set_union(step.scope.begin(), step.scope.end(), plan.scopes[f].begin(),
                     plan.scopes[f].end(), std::back_inserter(u));
      step.scope = std::move(u);
    }
    std::vector<std::size_t> produced;
    for (std::size_t u : step.scope)
      if (u != v) produced.push_back(u);
    step.collapse = is_local(v) && std::none_of(produced.begin(), produced.end(), is_local);
    for (std::size_t u : produced) holding[u].push_back(step.produced);
    alive.push_back(produced.empty() ? 0 : 1);
    if (produced.empty()) plan.results.push_back(step.produced);
    plan.scopes.push_back(std::move(produced));
    plan.steps.push_back(std::move(step));
  }
  for (std::size_t f = 0; f < alive.size(); ++f)
    if (alive[f]) plan.results.push_back(f);  // no scope from the start (terms of no variable)
  return plan;
}

}  // namespace scg::detail
