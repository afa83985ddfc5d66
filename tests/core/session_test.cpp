// Session: feeds, determinism, set_value, plan caching, non-finite detection.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <scg/scg.hpp>
#include <type_traits>
#include <string>
#include <vector>

namespace {
std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const scg::Error& e) {
    return e.what();
  }
  return "(no scg::Error)";
}
std::string node_tag(const scg::Var& v) {
  std::string t = std::to_string(v.id());
  t.insert(0, 1, '#');  // (not "#" + ...: GCC 12 warns falsely, bug 105329)
  return t;
}
}  // namespace

TEST_CASE("feeds: values flow; missing, wrong-shape and non-input feeds throw naming the node") {
  scg::Graph g;
  auto feat = g.input("feat", 2, 3);
  auto w = g.parameter("w", scg::Tensor::from_rows({{1}, {2}, {3}}));
  auto y = scg::sum(scg::matmul(feat, w));
  scg::Session s(g, 1);
  const scg::Tensor t = scg::Tensor::from_rows({{1, 0, 0}, {0, 1, 1}});
  CHECK(s.run(y, {{feat, t}}).item() == 6.0);
  const scg::Tensor t2(2, 3, 1.0);
  CHECK(s.run(y, {{feat, t2}}).item() == 12.0);  // same plan, new feed

  std::string m = message_of([&] { s.run(y); });
  CHECK(m.find("feat") != std::string::npos);
  CHECK(m.find("feed") != std::string::npos);

  const scg::Tensor bad(3, 2, 1.0);
  CHECK_THROWS_AS(s.run(y, {{feat, bad}}), scg::Error);
  m = message_of([&] { s.run(y, {{feat, bad}}); });
  CHECK(m.find("feat") != std::string::npos);
  CHECK(m.find("3x2") != std::string::npos);
  CHECK(m.find("2x3") != std::string::npos);

  const scg::Tensor wv = scg::Tensor::from_rows({{1}, {1}, {1}});
  m = message_of([&] { s.run(y, {{feat, t}, {w, wv}}); });
  CHECK(m.find("'w'") != std::string::npos);
  CHECK(m.find("neither an input nor a stochastic node") != std::string::npos);
  auto c = g.constant(1.0);
  const scg::Tensor one = 1.0;
  m = message_of([&] { s.run(y, {{feat, t}, {c, one}}); });
  CHECK(m.find(node_tag(c)) != std::string::npos);
  // After the failures, the session is still usable and the parameter unchanged.
  CHECK(s.run(y, {{feat, t}}).item() == 6.0);
  // A run that does not need the input needs no feed.
  CHECK(s.run(scg::sum(w)).item() == 6.0);
}

TEST_CASE("determinism: the same seed gives bit-identical results") {
  scg::Graph g;
  auto l = g.parameter("l", scg::Tensor::from_rows({{0.3, -0.2, 1.0}, {0.0, 0.5, -1.5}}));
  auto mu = g.parameter("mu", 0.25);
  auto sd = g.parameter("sd", 1.3);
  auto b = scg::bernoulli(l);
  auto k = scg::categorical(l);
  auto z = scg::normal(scg::broadcast_to(mu, {2, 3}), sd);
  auto cost = scg::sum(b * z) + scg::sum(k * scg::square(z)) + scg::mean(scg::tanh(z * l));
  auto grads = scg::grad(cost, {l, mu, sd});
  std::vector<scg::Var> targets = {b, k, z, cost, grads[0], grads[1], grads[2]};

  scg::Session s1(g, 42), s2(g, 42), s3(g, 43);
  bool differs_across_runs = false, differs_across_seeds = false;
  std::vector<scg::Tensor> prev;
  for (int run = 0; run < 20; ++run) {
    const std::vector<scg::Tensor> r1 = s1.run(targets);
    const std::vector<scg::Tensor> r2 = s2.run(targets);
    const std::vector<scg::Tensor> r3 = s3.run(targets);
    REQUIRE(r1.size() == targets.size());
    for (std::size_t i = 0; i < r1.size(); ++i) {
      INFO("run " << run << ", target " << i);
      CHECK(r1[i] == r2[i]);  // bit-identical (operator== compares exactly)
      differs_across_seeds = differs_across_seeds || !(r1[i] == r3[i]);
      if (!prev.empty()) differs_across_runs = differs_across_runs || !(r1[i] == prev[i]);
    }
    prev = r1;
  }
  CHECK(differs_across_runs);   // each run draws a fresh sample
  CHECK(differs_across_seeds);  // and the seed matters
  // Single-target runs interleaved the same way stay in step too.
  scg::Session a(g, 7), c(g, 7);
  for (int run = 0; run < 5; ++run) {
    CHECK(a.run(z) == c.run(z));
    CHECK(a.run(grads[0]) == c.run(grads[0]));
  }
}

TEST_CASE("set_value: same shape only; sessions see the new value") {
  scg::Graph g;
  auto p = g.parameter("p", scg::Tensor(2, 2, 1.0));
  auto y = scg::sum(p * p);
  scg::Session s(g, 1);
  CHECK(s.run(y).item() == 4.0);
  CHECK_THROWS_AS(p.set_value(scg::Tensor(2, 3, 1.0)), scg::Error);
  CHECK_THROWS_AS(p.set_value(scg::Tensor(4, 1, 1.0)), scg::Error);  // same size, other shape
  CHECK_THROWS_WITH_AS(p.set_value(1.0), doctest::Contains("'p'"), scg::Error);
  CHECK(p.value() == scg::Tensor(2, 2, 1.0));  // unchanged by the failed calls
  p.set_value(scg::Tensor(2, 2, 3.0));
  CHECK(s.run(y).item() == 36.0);  // the cached plan reads the new value
  auto c = g.constant(1.0);
  CHECK_THROWS_AS(c.set_value(2.0), scg::Error);
  CHECK_THROWS_AS(g.input("x", 1, 1).set_value(2.0), scg::Error);
  CHECK_THROWS_AS(y.set_value(2.0), scg::Error);
  // 1x1 parameters take the scalar path: a new value must reach it too.
  auto q = g.parameter("q", 2.0);
  auto yq = scg::exp(q) * q;
  CHECK(s.run(yq).item() == doctest::Approx(2.0 * std::exp(2.0)));
  q.set_value(-1.0);
  CHECK(s.run(yq).item() == doctest::Approx(-std::exp(-1.0)));
}

TEST_CASE("plans are compiled once per target list and reused") {
  scg::Graph g;
  auto p = g.parameter("p", scg::Tensor(2, 2, 1.5));
  auto y = scg::sum(scg::tanh(p));
  auto z = scg::mean(p * 2.0);
  scg::Session s(g, 1);
  CHECK(s.plan_count() == 0);
  for (int i = 0; i < 10; ++i) CHECK(s.run(y).item() == doctest::Approx(4 * std::tanh(1.5)));
  CHECK(s.plan_count() == 1);
  for (int i = 0; i < 5; ++i) s.run(std::vector<scg::Var>{y});  // the same target list
  CHECK(s.plan_count() == 1);
  for (int i = 0; i < 5; ++i) {
    const auto& r = s.run(std::vector<scg::Var>{y, z});
    CHECK(r[1].item() == 3.0);
  }
  CHECK(s.plan_count() == 2);
  s.run(y);
  CHECK(s.plan_count() == 2);
  s.run(std::vector<scg::Var>{z, y});  // another order is another list
  CHECK(s.plan_count() == 3);
  // A plan compiled before the graph grew still runs, and new nodes get their own plan.
  auto w = y * z;
  CHECK(s.run(w).item() == doctest::Approx(12 * std::tanh(1.5)));
  CHECK(s.run(y).item() == doctest::Approx(4 * std::tanh(1.5)));
  CHECK(s.plan_count() == 4);
}

TEST_CASE("the plan cache keeps at most max_plans, dropping the least recently run") {
  scg::Graph g;
  auto p = g.parameter("p", 0.5);
  std::vector<scg::Var> vs;
  for (int k = 0; k < 6; ++k) vs.push_back(p * static_cast<double>(k + 1));
  scg::SessionOptions o;
  o.max_plans = 3;
  scg::Session s(g, 1, o);
  auto run = [&](int k) { return s.run(std::vector<scg::Var>{vs[k], p}).at(0).item(); };
  for (int k = 0; k < 3; ++k) CHECK(run(k) == 0.5 * (k + 1));
  CHECK(s.plan_count() == 3);
  CHECK(run(0) == 0.5);  // list 0 is now the most recent; list 1 the least
  CHECK(run(3) == 2.0);  // drops list 1
  CHECK(s.plan_count() == 3);
  for (int k : {0, 2, 3}) CHECK(run(k) == 0.5 * (k + 1));
  CHECK(s.plan_count() == 3);  // 0, 2 and 3 were kept
  CHECK(run(1) == 1.0);        // compiled again, and right
  CHECK(s.plan_count() == 3);
  for (int k = 0; k < 6; ++k) CHECK(run(k) == 0.5 * (k + 1));
  CHECK(s.plan_count() == 3);
  s.clear_plans();
  CHECK(s.plan_count() == 0);
  CHECK(run(5) == 3.0);
  // 0: no bound.
  scg::SessionOptions unbounded;
  unbounded.max_plans = 0;
  scg::Session u(g, 1, unbounded);
  for (int k = 0; k < 6; ++k) u.run(std::vector<scg::Var>{vs[k]});
  CHECK(u.plan_count() == 6);
}

TEST_CASE("large results are handed over without a copy and stay right across runs") {
  // Targets of 32x32 are swapped out of their buffers rather than copied; every run must still
  // return this run's values, for a target listed twice, and for one another target reads.
  scg::Graph g;
  auto x = g.input("x", 32, 32);
  auto y = scg::exp(x);                // 1024 elements: handed over
  auto z = scg::matmul(y, y) + 1.0;    // reads y in the same run
  auto small = scg::sum(y);            // 1x1: copied
  scg::Session s(g, 1);
  for (int run = 0; run < 4; ++run) {
    const scg::Tensor in(32, 32, 0.01 * run);
    const auto& v = s.run({y, z, y, small}, {{x, in}});
    const double e = std::exp(0.01 * run);
    CHECK(v[0].matrix().minCoeff() == e);
    CHECK(v[0].matrix().maxCoeff() == e);
    CHECK(v[2] == v[0]);
    CHECK(v[1].matrix().maxCoeff() == doctest::Approx(32 * e * e + 1).epsilon(1e-14));
    CHECK(v[3].item() == doctest::Approx(1024 * e).epsilon(1e-14));
    CHECK(s.run(y, {{x, in}}).matrix().maxCoeff() == e);  // the single-target plan reads y too
  }
}

TEST_CASE("an empty target list runs nothing, on an empty graph too") {
  scg::Graph empty;
  scg::Session s(empty, 1);
  CHECK(s.run(std::vector<scg::Var>{}).empty());
  scg::Graph g;
  auto p = g.parameter("p", 2.0);
  scg::Session t(g, 1);
  CHECK(t.run(std::vector<scg::Var>{}).empty());
  CHECK(t.run(p * 3.0).item() == 6.0);
}

TEST_CASE("non-finite values throw scg::Error naming the op that made them") {
  scg::Graph g;
  auto neg = g.constant(-1.0);
  auto lg = scg::log(neg);
  auto negs = g.constant(scg::Tensor::from_rows({{1.0, 2.0}, {-3.0, 4.0}}));
  auto lgs = scg::log(negs);  // tensor path
  auto zero = g.parameter("zero", 0.0);
  auto inv = 1.0 / zero;
  auto sq = scg::sqrt(neg * 2.0);
  auto after = scg::exp(lg) + 1.0;  // downstream of the first non-finite node
  scg::Session s(g, 1);
  for (const auto& [node, op] : std::vector<std::pair<scg::Var, std::string>>{
           {lg, "log"}, {lgs, "log"}, {inv, "div"}, {sq, "sqrt"}, {after, "log"}}) {
    const std::string m = message_of([&] { s.run(node); });
    INFO(m);
    CHECK(m.find(op) != std::string::npos);
    CHECK(m.find("non-finite") != std::string::npos);
  }
  // The culprit node by id, not a later one.
  CHECK(message_of([&] { s.run(after); }).find(node_tag(lg)) != std::string::npos);
  CHECK(message_of([&] { s.run(lgs); }).find(node_tag(lgs)) != std::string::npos);
  // A non-finite leaf is blamed by name.
  auto p = g.parameter("p", scg::Tensor(2, 2, 1.0));
  auto py = scg::sum(scg::exp(p));
  p.set_value(scg::Tensor::from_rows({{1.0, NAN}, {0.0, 0.0}}));
  CHECK(message_of([&] { s.run(py); }).find("'p'") != std::string::npos);
  // An operand the op never reads (magic_box's) is not blamed: 0/0 is made by the div.
  auto z = g.parameter("z", 0.0), q = g.parameter("q", NAN);
  const std::string unread = message_of([&] { s.run(z / (z * scg::magic_box(q))); });
  INFO(unread);
  CHECK(unread.find("'q'") == std::string::npos);
  CHECK(unread.find("from finite operands") != std::string::npos);
  // The check can be switched off: then the NaN comes back.
  scg::SessionOptions off;
  off.check_finite = false;
  scg::Session quiet(g, 1, off);
  CHECK(std::isnan(quiet.run(lg).item()));
  CHECK(std::isinf(quiet.run(inv).item()));
  // After a failed run the session keeps working.
  p.set_value(scg::Tensor(2, 2, 0.0));
  CHECK(s.run(py).item() == 4.0);
}

TEST_CASE("run's result never aliases a parameter, and stays valid until the next run") {
  scg::Graph g;
  auto p = g.parameter("p", scg::Tensor::from_rows({{1.0, 2.0}}));
  auto c = g.constant(scg::Tensor::from_rows({{5.0, 6.0}}));
  auto twice = p * 2.0;
  scg::Session s(g, 1);
  const scg::Tensor& rp = s.run(p);
  CHECK(rp == scg::Tensor::from_rows({{1.0, 2.0}}));
  p.set_value(scg::Tensor::from_rows({{3.0, 4.0}}));
  CHECK(rp == scg::Tensor::from_rows({{1.0, 2.0}}));  // not the parameter's storage
  CHECK(&s.run(c) != &c.value());
  // A result of run(Var) holds until this session runs again, whatever else happens.
  const scg::Tensor& rt = s.run(twice);
  CHECK(rt == scg::Tensor::from_rows({{6.0, 8.0}}));
  p.set_value(scg::Tensor::from_rows({{0.0, 0.0}}));
  scg::Session other(g, 2);
  CHECK(other.run(twice) == scg::Tensor::from_rows({{0.0, 0.0}}));
  CHECK(rt == scg::Tensor::from_rows({{6.0, 8.0}}));
  // The same for run(vector) with the parameter among the targets.
  const std::vector<scg::Tensor>& both = s.run(std::vector<scg::Var>{p, twice});
  p.set_value(scg::Tensor::from_rows({{9.0, 9.0}}));
  CHECK(both[0] == scg::Tensor::from_rows({{0.0, 0.0}}));
  CHECK(both[1] == scg::Tensor::from_rows({{0.0, 0.0}}));
  CHECK(s.run(std::vector<scg::Var>{p, twice})[1] == scg::Tensor::from_rows({{18.0, 18.0}}));
}

TEST_CASE("a Var outliving its graph throws instead of reading another graph's node") {
  // Graphs at the same address one after the other: the second must not accept the first's
  // Vars (a graph identity is checked, not only the address).
  alignas(scg::Graph) unsigned char storage[sizeof(scg::Graph)];
  auto* g1 = new (storage) scg::Graph;
  const scg::Var old = g1->parameter("old", 1.0);
  g1->~Graph();
  auto* g2 = new (storage) scg::Graph;
  const scg::Var fresh = g2->parameter("fresh", 2.0);
  CHECK_THROWS_WITH_AS(old.shape(), doctest::Contains("no longer exists"), scg::Error);
  CHECK_THROWS_AS(fresh + old, scg::Error);
  scg::Session s(*g2, 1);
  CHECK_THROWS_AS(s.run(old), scg::Error);
  CHECK(s.run(fresh).item() == 2.0);
  g2->~Graph();
}

// A Feed of an lvalue keeps a pointer to it; a Feed of a temporary owns it (API.md: "a
// temporary is fine"), also across copies of the Feed and after the temporary's statement.
// A double converts to a 1x1 Tensor, so `{{x, 2.0}}` feeds a 1x1 input (owned, as a temporary).
static_assert(std::is_constructible_v<scg::Feed, scg::Var, scg::Tensor&&>);
static_assert(std::is_constructible_v<scg::Feed, scg::Var, double>);
static_assert(std::is_constructible_v<scg::Feed, scg::Var, const scg::Tensor&>);

TEST_CASE("a Feed of a temporary Tensor owns it; a Feed of an lvalue reads it in place") {
  scg::Graph g;
  auto x = g.input("x", 3, 1);
  auto y = scg::sum(x * x);
  scg::Session s(g, 1);
  CHECK(s.run(y, {{x, scg::Tensor::from_rows({{1.0}, {2.0}, {3.0}})}}).item() == 14.0);
  std::vector<scg::Feed> feeds;
  feeds.push_back({x, scg::Tensor(3, 1, 2.0)});  // the temporary dies here; the Feed keeps it
  const std::vector<scg::Feed> copies = feeds;
  feeds.clear();
  CHECK(s.run(y, copies).item() == 12.0);
  scg::Tensor t(3, 1, 1.0);
  const scg::Feed by_ref{x, t};
  CHECK(by_ref.value == &t);
  CHECK(by_ref.owned == nullptr);
  t(1, 0) = 5.0;  // read at run time, not copied
  CHECK(s.run(y, {by_ref}).item() == 27.0);
  auto one = g.input("one", 1, 1);
  CHECK(s.run(3.0 * one, {{one, 2.0}}).item() == 6.0);
  CHECK_THROWS_AS(s.run(y, {{x, 2.0}}), scg::ShapeError);  // 1x1 fed to a 3x1 input
}
