#include "scg/stochastic/expectation/detail/semiring.hpp"

#include "scg/ops/ops.hpp"
#include "scg/stochastic/expectation/detail/memo.hpp"

namespace scg::detail {

// ---- the expectation semiring ----

Factor ExpectationSemiring::choice(std::vector<std::size_t> scope, const Var& log_prob,
                                   Memo& memo) const {
  return {std::move(scope), memo.canon(exp(log_prob)), Var()};
}

Factor ExpectationSemiring::term(std::vector<std::size_t> scope, const Var& d) const {
  return {std::move(scope), Var(), d};
}

Factor ExpectationSemiring::eliminate(const std::vector<Factor>& bucket,
                                      const Contraction& c) const {
  // (a, b) = (prod_i a_i, sum_j b_j prod_{i != j} a_i), summed over v; empty a = 1, empty b = 0.
  auto product = [&](std::size_t with_b) {
    std::vector<Var> tables;
    std::vector<std::vector<Eigen::Index>> index;
    for (std::size_t i = 0; i < bucket.size(); ++i) {
      const Var& t = i == with_b ? bucket[i].b : bucket[i].a;
      if (!t.empty()) tables.push_back(t), index.push_back(c.index[i]);
    }
    return product_sum(tables, index, c.out, c.cols);
  };
  Factor result;
  result.a = product(SIZE_MAX);
  for (std::size_t j = 0; j < bucket.size(); ++j) {
    if (bucket[j].b.empty()) continue;
    const Var t = product(j);
    result.b = result.b.empty() ? t : result.b + t;
  }
  return result;
}

Factor ExpectationSemiring::multiply(const std::vector<Factor>& fs) const {
  Factor out;
  for (const Factor& f : fs) {
    // (a1, b1) (a2, b2) = (a1 a2, a1 b2 + b1 a2), with empty a = 1 and empty b = 0.
    Var nb;
    if (!f.b.empty()) nb = out.a.empty() ? f.b : out.a * f.b;
    if (!out.b.empty()) {
      const Var t = f.a.empty() ? out.b : out.b * f.a;
      nb = nb.empty() ? t : nb + t;
    }
    out.b = nb;
    if (!f.a.empty()) out.a = out.a.empty() ? f.a : out.a * f.a;
  }
  return out;
}

Factor ExpectationSemiring::collapse(const Factor& f) const {
  return {f.scope, Var(), f.b.empty() ? Var() : sum(f.b, 0)};
}

Var ExpectationSemiring::result(Graph& g, const Factor& all, const Var& offset) const {
  // E[cost] = E[cost - L(0)] + L(0).
  Var e = all.b.empty() ? g.constant(Tensor(1, 1, 0.0)) : all.b;
  return offset.empty() ? e : e + offset;
}

// ---- the log-sum-exp (likelihood) semiring ----

Factor LogSumExpSemiring::choice(std::vector<std::size_t> scope, const Var& log_prob, Memo&) const {
  return {std::move(scope), log_prob, Var()};
}

Factor LogSumExpSemiring::term(std::vector<std::size_t> scope, const Var& d) const {
  return {std::move(scope), d, Var()};
}

Factor LogSumExpSemiring::eliminate(const std::vector<Factor>& bucket, const Contraction& c) const {
  std::vector<Var> tables;
  std::vector<std::vector<Eigen::Index>> index;
  for (std::size_t i = 0; i < bucket.size(); ++i)
    if (!bucket[i].a.empty()) tables.push_back(bucket[i].a), index.push_back(c.index[i]);
  Factor result;
  result.a = contract_ ? contract_(tables, index, c.out, c.cols)
                       : log_product_sum(tables, index, c.out, c.cols);
  return result;
}

Factor LogSumExpSemiring::multiply(const std::vector<Factor>& fs) const {
  Factor out;  // log-tables: the product is the sum
  for (const Factor& f : fs) out.a = out.a.empty() ? f.a : out.a + f.a;
  return out;
}

Factor LogSumExpSemiring::collapse(const Factor& f) const {
  return {f.scope, f.a.empty() ? Var() : sum(f.a, 0), Var()};
}

Var LogSumExpSemiring::result(Graph& g, const Factor& all, const Var& offset) const {
  // E[exp(L(0) + sum_j d_j)] = exp(L(0) + log of the product).
  Var l = all.a.empty() ? g.constant(Tensor(1, 1, 0.0)) : all.a;
  return exp(offset.empty() ? l : l + offset);
}

}  // namespace scg::detail
