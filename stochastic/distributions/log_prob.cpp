#include "scg/core/error.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {

const Distribution* stochastic_op(const Var& x) {
  return dynamic_cast<const Distribution*>(x.graph().op(x.id()));
}

Var log_prob(const Var& x) {
  const Distribution* op = stochastic_op(x);
  if (!op) throw Error("log_prob: " + x.describe() + " is not a stochastic node");
  Graph& g = x.graph();
  if (const Var* memo = g.cached_log_prob(x.id())) return *memo;
  std::vector<Var> params;
  for (std::size_t in : g.inputs(x.id())) params.push_back(g.var(in));
  Var lp = op->log_prob(params, x);
  g.cache_log_prob(x.id(), lp);
  return lp;
}

}  // namespace scg
