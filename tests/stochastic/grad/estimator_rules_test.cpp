// Estimators as rules: the rule table covers every Estimator value in order, each rule decides
// where it applies from the distribution's declared traits (checked against every family), and
// the first-order rules refuse a higher derivative with scg::Error instead of a wrong number.
#include <scg/stochastic/grad/detail/estimator_rule.hpp>
#include <set>

#include "../mc.hpp"

namespace {
// Every family, built on one graph; the traits they must declare.
struct Family {
  const char* name;
  scg::Var node;
  scg::StateLayout layout;
  bool logits, pairs;
};

std::vector<Family> families(scg::Graph& g) {
  const auto l = g.parameter("l", scg::Tensor(2, 3, 0.2));
  const auto pos = g.parameter("pos", scg::Tensor(2, 3, 1.5));
  const auto lo = g.constant(scg::Tensor(2, 3, 0.0));
  using L = scg::StateLayout;
  return {
      {"bernoulli", scg::bernoulli(l), L::kElements, true, false},
      {"bernoulli_pairs", scg::bernoulli_pairs(l), L::kJoint, true, true},
      {"categorical", scg::categorical(l), L::kRows, true, false},
      {"normal", scg::normal(l, pos), L::kJoint, false, false},
      {"gamma", scg::gamma(pos, pos), L::kJoint, false, false},
      {"beta", scg::beta(pos, pos), L::kJoint, false, false},
      {"poisson", scg::poisson(pos), L::kJoint, false, false},
      {"exponential", scg::exponential(pos), L::kJoint, false, false},
      {"uniform", scg::uniform(lo, pos), L::kJoint, false, false},
      {"laplace", scg::laplace(l, pos), L::kJoint, false, false},
      {"relaxed_bernoulli", scg::relaxed_bernoulli(l, 0.5), L::kJoint, false, false},
      {"relaxed_categorical", scg::relaxed_categorical(l, 0.5), L::kJoint, false, false},
  };
}
}  // namespace

TEST_CASE("the rule table has one rule per Estimator value, in the enum's order") {
  const auto rules = scg::detail::estimator_rules();
  REQUIRE(rules.size() == 7);
  std::set<std::string> names;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    CHECK(static_cast<std::size_t>(rules[i]->estimator) == i);
    CHECK(&scg::detail::estimator_rule(rules[i]->estimator) == rules[i]);
    const std::string name = scg::to_string(rules[i]->estimator);
    CHECK(name.rfind("Estimator::k", 0) == 0);
    names.insert(name);
  }
  CHECK(names.size() == rules.size());
  CHECK(scg::to_string(scg::Baseline::kLeaveOneOut) == "Baseline::kLeaveOneOut");
  CHECK(scg::to_string(scg::Baseline::kNone) == "Baseline::kNone");
  CHECK(scg::to_string(scg::Baseline::kMovingAverage) == "Baseline::kMovingAverage");
  CHECK(scg::to_string(scg::Baseline::kVimco) == "Baseline::kVimco");
}

TEST_CASE("each family declares its traits; each rule applies exactly where its paper says") {
  scg::Graph g;
  for (const Family& f : families(g)) {
    INFO(f.name);
    const scg::Distribution* d = scg::stochastic_op(f.node);
    REQUIRE(d != nullptr);
    CHECK(d->name() == f.name);
    const scg::DistributionTraits& t = d->distribution_traits();
    CHECK(t.layout == f.layout);
    CHECK(t.logits == f.logits);
    CHECK(t.antithetic_pairs == f.pairs);
    const std::string n = f.name;
    const bool discrete_indep = n == "bernoulli" || n == "categorical";
    const auto applies = [&](scg::Estimator e) {
      return scg::detail::estimator_rule(e).refuses(t).empty();
    };
    CHECK(applies(scg::Estimator::kScore));
    CHECK(applies(scg::Estimator::kPathwise) == (t.path == scg::GradientPath::kPathwise));
    CHECK(applies(scg::Estimator::kDisarm) == (n == "bernoulli_pairs"));
    CHECK(applies(scg::Estimator::kEnumerate) == discrete_indep);
    CHECK(applies(scg::Estimator::kRelax) == discrete_indep);
    CHECK(applies(scg::Estimator::kDreg) == (t.path == scg::GradientPath::kPathwise));
    CHECK(applies(scg::Estimator::kUnorderedSet) == (n == "categorical"));
    // grad refuses the same, naming the estimator and the node.
    for (const scg::detail::EstimatorRule* r : scg::detail::estimator_rules()) {
      if (applies(r->estimator)) continue;
      scg::GradOptions o;
      o.estimators = {{f.node, r->estimator}};
      std::string said;
      try {
        scg::grad(scg::sum(f.node), {g.var(0)}, o);
      } catch (const scg::Error& err) {
        said = err.what();
      }
      INFO(said);
      CHECK(said.find(scg::to_string(r->estimator) + " for node #") != std::string::npos);
      CHECK(said.find("(" + n + ", 2x3)") != std::string::npos);
    }
  }
}

TEST_CASE("a node listed twice in GradOptions::estimators is refused") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor(1, 2));
  auto b = scg::bernoulli(l);
  scg::GradOptions o;
  o.estimators = {{b, scg::Estimator::kScore}, {b, scg::Estimator::kEnumerate}};
  CHECK_THROWS_WITH_AS(scg::grad(scg::sum(b), {l}, o), doctest::Contains("twice"), scg::Error);
}

TEST_CASE("first-order rules refuse a derivative of their estimate; the others give one") {
  for (const scg::detail::EstimatorRule* r : scg::detail::estimator_rules()) {
    const scg::Estimator e = r->estimator;
    // No bernoulli node takes these; dreg_test.cpp and unordered_set_test.cpp check their
    // refusals on their own models.
    if (e == scg::Estimator::kPathwise || e == scg::Estimator::kDreg ||
        e == scg::Estimator::kUnorderedSet)
      continue;
    INFO(scg::to_string(e));
    scg::Graph g;
    auto theta = g.parameter("theta", scg::Tensor::from_rows({{0.3, -0.4}, {0.3, -0.4}}));
    auto z = e == scg::Estimator::kDisarm ? scg::bernoulli_pairs(theta) : scg::bernoulli(theta);
    auto cost = scg::sum(scg::square(z - 0.45) * theta);  // depends on theta both ways
    scg::GradOptions o;
    o.estimators = {{z, e}};
    if (e == scg::Estimator::kRelax)
      o.control_variates = {{z, [](const scg::Var& x) { return scg::sum(x, 1); }, 0.5}};
    const scg::Var est = scg::grad(cost, {theta}, o)[0];
    const scg::Var penalty = scg::sum(scg::square(est));  // a gradient penalty
    if (r->orders == 1) {
      // The second grad keeps the node's estimator. A function of a DisARM estimate reads both
      // rows of each pair, so that grad refuses it for mixing rows before any derivative.
      scg::GradOptions again;
      if (e == scg::Estimator::kDisarm) again.estimators = {{z, e}};
      std::string why;
      try {
        scg::grad(penalty, {theta}, again);
      } catch (const scg::Error& err) {
        why = err.what();
      }
      INFO(why);
      CHECK((why.find("first-order") != std::string::npos ||
             (e == scg::Estimator::kDisarm && why.find("mix rows") != std::string::npos)));
    } else {
      CHECK(r->orders == 0);
      CHECK_NOTHROW(scg::grad(penalty, {theta}));
    }
    scg::Session s(g, 3);
    CHECK(std::isfinite(s.run(penalty).item()));  // the estimate itself runs
  }
}
