// Session: finds or compiles the plan for a target list (core/detail/plan.cpp) and replays it.
#include "scg/core/session.hpp"

#include <algorithm>
#include <atomic>
#include <boost/container_hash/hash.hpp>
#include <cmath>
#include <sstream>
#include <thread>

#include "scg/core/detail/plan.hpp"
#include "scg/core/detail/thread_pool.hpp"
#include "scg/core/distribution.hpp"
#include "scg/core/error.hpp"

namespace scg {

using detail::Plan;

namespace {
// SessionOptions::threads resolved: 0 is the machine's hardware concurrency (1 if unknown).
std::size_t thread_count(std::size_t threads) {
  constexpr std::size_t kMost = 1024;
  if (threads > kMost)
    throw Error("Session: SessionOptions::threads is " + std::to_string(threads) + "; at most " +
                std::to_string(kMost));
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return threads;
}
}  // namespace

Session::Session(const Graph& g, std::uint64_t seed, SessionOptions options)
    : graph_(g), engine_(seed), options_(options), storage_(std::make_unique<detail::Storage>(g)) {
  options_.threads = thread_count(options.threads);
  if (options_.threads > 1) pool_ = std::make_unique<detail::ThreadPool>(options_.threads);
}

Session::~Session() = default;

std::size_t Session::IdsHash::operator()(const std::vector<std::size_t>& ids) const {
  return boost::hash_range(ids.begin(), ids.end());
}

Plan& Session::plan_for(const std::vector<Var>& vs) {
  key_.clear();  // keeps its capacity: no allocation once warm
  for (const Var& v : vs) key_.push_back(v.id());
  if (const auto it = index_.find(key_); it != index_.end()) {
    // Same ids; the Vars must still be of this graph (a Var of another graph can share ids).
    for (const Var& v : vs) graph_.check_own(v, "Session::run", "target");
    plans_.splice(plans_.begin(), plans_, it->second);  // now the most recently run
    return *plans_.front();
  }
  for (const Var& v : vs) graph_.check_own(v, "Session::run", "target");
  std::unique_ptr<Plan> plan = detail::compile_plan(graph_, vs, *storage_);
  if (options_.max_plans > 0 && plans_.size() >= options_.max_plans) {
    index_.erase(plans_.back()->targets);
    plans_.pop_back();
  }
  plans_.push_front(std::move(plan));
  index_.emplace(key_, plans_.begin());
  return *plans_.front();
}

void Session::clear_plans() {
  index_.clear();
  plans_.clear();
}

namespace {

// The fed value of node `id` in `fed` (sorted by id), or nullptr.
const Tensor* fed_value(const std::vector<std::pair<std::size_t, const Tensor*>>& fed,
                        std::size_t id) {
  const auto it = std::lower_bound(fed.begin(), fed.end(), id,
                                   [](const auto& e, std::size_t k) { return e.first < k; });
  return it != fed.end() && it->first == id ? it->second : nullptr;
}

// A run of 1x1 ops into consecutive slots. An operand that is the previous op's output is taken
// from a register, not reloaded from the slot just stored (chains then do not wait on
// store-to-load forwarding). Returns the index of the first non-finite output when `check`
// finds one (one vectorized pass over the outputs), else Plan::kNone.
inline std::uint32_t run_scalars(Plan& plan, const Plan::Step& s, double* arena, bool check) {
  double* const out = arena + s.out;
  const Plan::ScalarOp* const ops = plan.ops.data() + s.first;
  double prev = 0.0;  // read only once prev_slot names a slot
  std::uint32_t prev_slot = Plan::kNone;
  for (std::uint32_t i = 0; i < s.count; ++i) {
    const Plan::ScalarOp& o = ops[i];
    const double a = o.a == prev_slot ? prev : arena[o.a];
    const double b = o.b == prev_slot ? prev : arena[o.b];
    prev = o.self->traits().scalar(o.self, a, b);
    out[i] = prev;
    prev_slot = s.out + i;
  }
  if (check && !Eigen::Map<const Eigen::ArrayXd>(out, s.count).allFinite()) {
    std::uint32_t i = 0;
    while (std::isfinite(out[i])) ++i;
    return i;
  }
  for (std::uint32_t m = s.first_mirror; m < s.first_mirror + s.mirror_count; ++m)
    *plan.mirrors[m].second = arena[plan.mirrors[m].first];
  return Plan::kNone;
}

// A sum is non-finite iff some element is, barring overflow (then confirmed exactly); over
// large tensors part by part, on the session's threads.
bool all_finite(const Tensor& t, detail::ThreadPool* pool) {
  const std::ptrdiff_t size = t.rows() * t.cols();
  if (size < detail::kParallelFrom) return std::isfinite(t.matrix().sum()) || t.all_finite();
  std::atomic<bool> bad{false};
  detail::for_each_span(pool, size, [&](std::ptrdiff_t off, std::ptrdiff_t len) {
    const Eigen::Map<const Eigen::ArrayXd> part(t.data() + off, len);
    if (!std::isfinite(part.sum()) && !part.allFinite()) bad.store(true, std::memory_order_relaxed);
  });
  return !bad.load(std::memory_order_relaxed);
}

// One tensor op (or a fed stochastic node: its value checked, then used as the sample).
// Returns false when `check` finds a non-finite element in its output.
inline bool run_general(Plan& plan, const Plan::Step& s, double* arena, bool check,
                        RunContext& ctx) {
  const Plan::General& gs = plan.general[s.general];
  ctx.node = gs.node;
  ctx.state = gs.state;
  const std::span<const Tensor* const> in(plan.in_ptrs.data() + gs.first_in, gs.n_in);
  if (gs.fed) {
    static_cast<const Distribution*>(gs.op)->check_value(in, *gs.fed, ctx);
    gs.out->matrix() = gs.fed->matrix();
  } else {
    gs.op->forward(in, *gs.out, ctx);
  }
  if (check && !all_finite(*gs.out, ctx.pool)) return false;
  if (s.out != Plan::kNone) arena[s.out] = *gs.out->data();
  return true;
}

// Fed stochastic nodes are marked for one run only: cleared on the way out, also when a step
// throws.
struct Unmark {
  Plan& plan;
  bool marked = false;
  ~Unmark() {
    if (marked)
      for (const auto& [id, g] : plan.random) plan.general[g].fed = nullptr;
  }
};

}  // namespace

bool Session::bind_feeds(Plan& plan, const std::vector<Feed>& feeds) {
  // Feeds: inputs (required where the plan reads them) and stochastic nodes (their value for
  // this run replaces the sample). Sorted by node id once, then matched by binary search.
  fed_.clear();
  bool fed_random = false;
  for (const Feed& f : feeds) {
    graph_.check_own(f.input, "Session::run", "a feed's node");
    const std::size_t id = f.input.id();
    const NodeKind kind = graph_.kind(id);
    if (kind != NodeKind::kInput && !dynamic_cast<const Distribution*>(graph_.op(id)))
      throw Error("Session::run: feed for " + f.input.describe() +
                  ", which is neither an input nor a stochastic node");
    if (f.value->shape() != graph_.shape(id))
      throw ShapeError("Session::run: feed for " + f.input.describe() + " has shape " +
                       f.value->shape().str() + ", expected " + graph_.shape(id).str());
    fed_.emplace_back(id, f.value);
    fed_random = fed_random || kind != NodeKind::kInput;
  }
  std::sort(fed_.begin(), fed_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 1; i < fed_.size(); ++i)
    if (fed_[i].first == fed_[i - 1].first)
      throw Error("Session::run: two feeds for " + graph_.describe(fed_[i].first));
  for (auto& [id, buf] : plan.inputs) {
    const Tensor* value = fed_value(fed_, id);
    if (!value) throw Error("Session::run: no feed for " + graph_.describe(id));
    buf->matrix() = value->matrix();
  }
  return fed_random;
}

void Session::execute(Plan& plan, const std::vector<Feed>& feeds) {
  Unmark unmark{plan};
  if (bind_feeds(plan, feeds))  // a run that feeds no stochastic node marks none
    for (const auto& [id, g] : plan.random)
      if ((plan.general[g].fed = fed_value(fed_, id))) unmark.marked = true;
  for (auto [slot, value] : plan.leaf_loads) plan.arena[slot] = *value;
  RunContext ctx;
  ctx.engine = &engine_;
  ctx.graph = &graph_;
  ctx.pool = pool_.get();
  double* const arena = plan.arena.data();
  const bool check = options_.check_finite;
  for (const Plan::Step& s : plan.steps) {
    if (s.general == Plan::kNone) {
      const std::uint32_t bad = run_scalars(plan, s, arena, check);
      if (bad != Plan::kNone) {
        ctx.node = detail::node_of_slot(graph_, plan, s.out + bad);
        report_non_finite(ctx.node, ctx);
      }
    } else if (!run_general(plan, s, arena, check, ctx)) {
      report_non_finite(ctx.node, ctx);
    }
  }
}

void Session::report_non_finite(std::size_t node, const RunContext& ctx) const {
  // Blame the leaf the non-finite value came from (a parameter, constant or feed), if any;
  // otherwise this op made it from finite operands. Operands an op does not read are not
  // followed (they were not computed, and cannot be the source).
  const std::vector<char> read =
      graph_.ancestors(std::vector<std::size_t>{node}, Graph::Follow::kRead);
  for (std::size_t id = 0; id < node; ++id) {
    if (!read[id] || graph_.kind(id) == NodeKind::kOp) continue;
    const Tensor* t = storage_->find(id);
    if (t && !t->all_finite())
      ctx.fail("non-finite value: it comes from " + graph_.describe(id) +
               ", which holds NaN or infinity");
  }
  std::string operands;
  for (std::size_t in : graph_.inputs(node))
    operands += (operands.empty() ? "" : ", ") + graph_.describe(in);
  ctx.fail("produced a non-finite value (NaN or infinity) from finite operands " + operands);
}

std::string Session::random_state() const {
  std::ostringstream os;
  os << engine_;
  return os.str();
}

void Session::set_random_state(const std::string& state) {
  std::istringstream is(state);
  Engine e;
  is >> e;
  // Boost's reader stops at the end of the text with failbit set; the state is valid when it
  // writes back as the same text.
  std::ostringstream back;
  back << e;
  if (back.str() != state) throw Error("Session::set_random_state: not a random stream's state");
  engine_ = e;
}

std::vector<std::pair<std::size_t, Tensor>> Session::op_states() const {
  return storage_->states();
}

void Session::set_op_states(const std::vector<std::pair<std::size_t, Tensor>>& states) {
  for (const auto& [id, state] : states) {
    if (id >= graph_.size() || !graph_.op(id) || graph_.op(id)->traits().state.size() == 0)
      throw Error("Session::set_op_states: node #" + std::to_string(id) + " has no session state");
    if (state.shape() != graph_.op(id)->traits().state)
      throw ShapeError("Session::set_op_states: a " + state.shape().str() + " state for " +
                       graph_.describe(id) + ", which keeps " +
                       graph_.op(id)->traits().state.str());
  }
  for (const auto& [id, state] : states) *storage_->state(id, state.shape()) = state;
}

const Tensor& Session::run(const Var& v, const std::vector<Feed>& feeds) {
  if (single_.empty()) single_.emplace_back();
  single_[0] = v;
  Plan& plan = plan_for(single_);
  execute(plan, feeds);
  if (!plan.graph_owned[0]) return *plan.target_ptrs[0];
  plan.results[0].matrix() = plan.target_ptrs[0]->matrix();  // never hand out a parameter's storage
  return plan.results[0];
}

const std::vector<Tensor>& Session::run(const std::vector<Var>& vs,
                                        const std::vector<Feed>& feeds) {
  Plan& plan = plan_for(vs);
  execute(plan, feeds);
  // Large results computed by general steps are handed over by swapping storage with their
  // buffer (which the next run overwrites anyway); the rest are copied.
  for (std::size_t i = 0; i < vs.size(); ++i) {
    if (plan.swap[i])
      plan.results[i].matrix().swap(plan.target_ptrs[i]->matrix());
    else
      plan.results[i].matrix() = plan.target_ptrs[i]->matrix();
  }
  return plan.results;
}

}  // namespace scg
