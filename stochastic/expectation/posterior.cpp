// posterior_marginals: the derivative of the log partition function with respect to a zero
// offset on each choice's indicator, by expectation's log-sum-exp elimination and grad.
// posterior_mode: max-sum elimination in expectation's plan and a traceback; posterior_sample:
// sum-product elimination in that plan and backward sampling (both detail/max_product).
#include "scg/stochastic/expectation/posterior.hpp"

#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"
#include "scg/ops/ops.hpp"
#include "scg/stochastic/distributions/distributions.hpp"
#include "scg/stochastic/expectation/detail/max_product.hpp"
#include "scg/stochastic/grad/detail/dependencies.hpp"
#include "scg/stochastic/grad/grad.hpp"

namespace scg {
namespace {

void check_log_weight(const Var& log_weight, const char* who) {
  if (log_weight.empty()) throw Error(std::string(who) + ": log_weight is an empty Var");
  if (!log_weight.shape().scalar())
    throw ShapeError(std::string(who) + ": log_weight " + log_weight.describe() +
                     " must be 1x1 (the log-likelihood summed over the data)");
}

// A bernoulli or categorical node: states independent per element or per row, the indicator
// of state k being the node's own value (0/1 elements; one-hot rows).
void check_choice(Graph& g, const Var& c, std::size_t i, const char* who) {
  if (c.empty())
    throw Error(std::string(who) + ": choice " + std::to_string(i) + " is an empty Var");
  g.check_own(c, who, "a choice");
  const Distribution* d = stochastic_op(c);
  const bool ok = d && d->distribution_traits().support == Support::kFinite &&
                  d->distribution_traits().logits &&
                  d->distribution_traits().layout != StateLayout::kJoint;
  if (!ok)
    throw Error(std::string(who) + ": choice " + std::to_string(i) + ", " + c.describe() +
                ", is not a bernoulli or categorical node (a finite discrete choice whose "
                "elements or rows are independent given its parameters)");
}

// Per node up to log_weight: 1 where log_weight reads it, through operands but not below a
// frozen box (expectation's regions stop there: a constant 1 at every state). One sweep down
// the ids (a topological order).
std::vector<char> read_by(const Var& log_weight) {
  const Graph& g = log_weight.graph();
  std::vector<char> read(log_weight.id() + 1, 0);
  read[log_weight.id()] = 1;
  for (std::size_t id = log_weight.id() + 1; id-- > 0;)
    if (read[id] && !detail::is_frozen_box(g, id))
      for (std::size_t in : g.inputs(id)) read[in] = 1;
  return read;
}

// exp(log_weight + sum_c <0, z_c>) over the listed choices log_weight does not read, after
// posterior_mode's checks: each of them a term (weight zero), so every listed choice is
// reached (those log_weight reads are already: no nodes per choice there). Empty when there are
// no choices.
Var checked_tilted(const Var& log_weight, const std::vector<Var>& choices,
                   const ExpectationOptions& options, const char* who) {
  check_log_weight(log_weight, who);
  Graph& g = log_weight.graph();
  if (!(options.max_states >= 1.0 && options.max_states <= kMaxStatesLimit))
    throw Error(std::string(who) + ": ExpectationOptions::max_states is " +
                std::to_string(options.max_states) + "; it must be a number in [1, 2^32]");
  if (choices.empty()) return Var();
  Var tilted = log_weight;
  const std::vector<char> read = read_by(log_weight);
  for (std::size_t i = 0; i < choices.size(); ++i) {
    check_choice(g, choices[i], i, who);
    for (std::size_t j = 0; j < i; ++j)
      if (choices[j].id() == choices[i].id())
        throw Error(std::string(who) + ": " + choices[i].describe() + " is listed twice");
    if (choices[i].id() < read.size() && read[choices[i].id()]) continue;
    const Var zero = stop_gradient(g.constant(Tensor(choices[i].shape(), 0.0)));
    tilted = tilted + sum(zero * choices[i]);
  }
  return exp(tilted);
}

}  // namespace

std::vector<Var> posterior_marginals(const Var& log_weight, const std::vector<Var>& choices,
                                     const ExpectationOptions& options) {
  const char* who = "posterior_marginals";
  check_log_weight(log_weight, who);
  Graph& g = log_weight.graph();
  if (choices.empty()) return {};
  Var tilted = log_weight;
  std::vector<Var> offsets;
  for (std::size_t i = 0; i < choices.size(); ++i) {
    check_choice(g, choices[i], i, who);
    for (std::size_t j = 0; j < i; ++j)
      if (choices[j].id() == choices[i].id())
        throw Error(std::string(who) + ": " + choices[i].describe() + " is listed twice");
    // A node of its own: the graph shares one node among its 1x1 constants of equal value
    // (the states 0 of the choices among them), so the offset is not a bare constant.
    offsets.push_back(stop_gradient(g.constant(Tensor(choices[i].shape(), 0.0))));
    tilted = tilted + sum(offsets.back() * choices[i]);
  }
  // log E[exp(tilted)]: log(exp(t)) is t itself, so the log-partition keeps its range.
  const Var log_z = log(expectation(exp(tilted), options));
  return grad(log_z, offsets);
}

std::vector<Var> posterior_mode(const Var& log_weight, const std::vector<Var>& choices,
                                const ExpectationOptions& options) {
  const Var cost = checked_tilted(log_weight, choices, options, "posterior_mode");
  if (cost.empty()) return {};
  return detail::max_product_mode(cost, choices, options);
}

std::vector<Var> posterior_sample(const Var& log_weight, const std::vector<Var>& choices,
                                  const ExpectationOptions& options) {
  const Var cost = checked_tilted(log_weight, choices, options, "posterior_sample");
  if (cost.empty()) return {};
  return detail::forward_filter_backward_sample(cost, choices, options);
}

}  // namespace scg
