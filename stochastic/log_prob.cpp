#include "../core/error.hpp"
#include "distribution.hpp"

namespace scg {

const StochasticOp* stochastic_op(const Var& x) {
  const Node& n = x.node();
  return n.kind == NodeKind::kOp ? dynamic_cast<const StochasticOp*>(n.op.get()) : nullptr;
}

Var log_prob(const Var& x) {
  const StochasticOp* op = stochastic_op(x);
  if (!op) throw Error("log_prob: " + x.describe() + " is not a stochastic node");
  Graph& g = x.graph();
  if (Var* memo = g.memo("log_prob", x.id())) return *memo;
  std::vector<Var> params;
  for (std::size_t in : x.node().inputs) params.push_back(g.var(in));
  Var lp = op->log_prob(params, x);
  g.set_memo("log_prob", x.id(), lp);
  return lp;
}

}  // namespace scg
