// kl_divergence and entropy: each family's closed form (in its own file), shaped as log_prob.
#include "scg/core/error.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/distributions/distributions.hpp"

namespace scg {
namespace {
std::vector<Var> params_of(const Var& x) {
  Graph& g = x.graph();
  std::vector<Var> p;
  for (std::size_t in : g.inputs(x.id())) p.push_back(g.var(in));
  return p;
}

/// v stretched to the shape of x's log_prob, or a ShapeError naming `what`.
Var as_log_prob_shape(const Var& v, const Var& x, const std::string& what) {
  const Shape want = log_prob(x).shape();
  if (v.shape() == want) return v;
  if ((v.rows() == want.rows || v.rows() == 1) && (v.cols() == want.cols || v.cols() == 1))
    return broadcast_to(v, want);
  throw ShapeError(what + ": the result is " + v.shape().str() + ", " + x.describe() +
                   "'s log_prob is " + want.str());
}
}  // namespace

Var kl_divergence(const Var& q, const Var& p) {
  const Distribution* dq = stochastic_op(q);
  const Distribution* dp = stochastic_op(p);
  if (!dq || !dp)
    throw Error("kl_divergence: " + (dq ? p : q).describe() + " is not a stochastic node");
  if (&q.graph() != &p.graph())
    throw Error("kl_divergence: " + p.describe() + " belongs to another graph");
  if (q.shape() != p.shape())
    throw ShapeError("kl_divergence: " + q.describe() + " and " + p.describe() +
                     " have different shapes");
  const std::vector<Var> qp = params_of(q), pp = params_of(p);
  return as_log_prob_shape(dq->kl(qp, *dp, pp), q, "kl_divergence");
}

Var entropy(const Var& x) {
  const Distribution* d = stochastic_op(x);
  if (!d) throw Error("entropy: " + x.describe() + " is not a stochastic node");
  return as_log_prob_shape(d->entropy(params_of(x)), x, "entropy");
}

}  // namespace scg
