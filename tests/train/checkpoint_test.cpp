// Checkpoints: round trip; truncated, bit-flipped, missing and mismatched files each throw and
// change nothing; a save that dies between write and rename leaves the old file loadable; and
// a training run resumed from a checkpoint is bit-identical to one never stopped.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "../stochastic/mc.hpp"

namespace {

std::string temp_path(const std::string& what) {
  return (std::filesystem::temp_directory_path() / ("scg_ckpt_" + what + "_" + std::to_string(::getpid()))).string();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary) << data;
}

struct Params {
  scg::Graph g;
  scg::Var w = g.parameter("w", scg::Tensor::from_rows({{0.5, -1.25, 3.0}, {1e-300, -0.0, 7.0}}));
  scg::Var b = g.parameter("b", 0.125);
  std::vector<scg::Tensor> values() const { return {w.value(), b.value()}; }
};

/// True if the tensors are equal bit for bit (-0.0 and 0.0 differ).
bool identical(const std::vector<scg::Tensor>& a, const std::vector<scg::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].shape() != b[i].shape() ||
        std::memcmp(a[i].data(), b[i].data(), static_cast<std::size_t>(a[i].shape().size()) * sizeof(double)) != 0)
      return false;
  return true;
}

}  // namespace

TEST_CASE("save_parameters and load_parameters: a round trip restores every value bit for bit") {
  const std::string path = temp_path("roundtrip");
  Params p;
  const auto saved = p.values();
  scg::save_parameters(p.g, path);
  p.w.set_value(scg::Tensor(2, 3, 9.0));
  p.b.set_value(-1.0);
  scg::load_parameters(p.g, path);
  CHECK(identical(p.values(), saved));
  // Another graph with the same names and shapes takes them too.
  Params other;
  other.w.set_value(scg::Tensor(2, 3));
  scg::load_parameters(other.g, path);
  CHECK(identical(other.values(), saved));
  std::filesystem::remove(path);
}

TEST_CASE("truncated, bit-flipped, missing and mismatched files throw and change nothing") {
  const std::string path = temp_path("bad");
  Params p;
  scg::save_parameters(p.g, path);
  const std::string good = read_file(path);
  p.w.set_value(scg::Tensor(2, 3, 4.0));
  const auto before = p.values();
  auto unchanged = [&] { return identical(p.values(), before); };
  // Truncated anywhere: at the header, mid-entry, just before the checksum.
  for (std::size_t len : {std::size_t{0}, std::size_t{5}, std::size_t{20}, good.size() / 2, good.size() - 1}) {
    INFO("truncated to " << len);
    write_file(path, good.substr(0, len));
    CHECK_THROWS_AS(scg::load_parameters(p.g, path), scg::Error);
    CHECK(unchanged());
  }
  // One bit flipped anywhere after the magic: the checksum catches it.
  for (std::size_t at : {std::size_t{9}, good.size() / 3, good.size() / 2, good.size() - 2}) {
    INFO("bit flipped at byte " << at);
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x10);
    write_file(path, bad);
    CHECK_THROWS_AS(scg::load_parameters(p.g, path), scg::Error);
    CHECK(unchanged());
  }
  write_file(path, "not a checkpoint at all");
  CHECK_THROWS_WITH_AS(scg::load_parameters(p.g, path), doctest::Contains("not an scg checkpoint"), scg::Error);
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(scg::load_parameters(p.g, path), doctest::Contains("cannot open"), scg::Error);
  CHECK(unchanged());
  // Mismatches, each named: a name the graph lacks, a name the file lacks, another shape.
  {
    scg::Graph g2;
    g2.parameter("w", scg::Tensor(2, 3));
    g2.parameter("b", 0.0);
    g2.parameter("extra", 0.0);
    scg::save_parameters(g2, path);
    CHECK_THROWS_WITH_AS(scg::load_parameters(p.g, path), doctest::Contains("'extra' is not in the graph"), scg::Error);
    CHECK(unchanged());
  }
  {
    scg::Graph g2;
    g2.parameter("w", scg::Tensor(2, 3));
    scg::save_parameters(g2, path);
    CHECK_THROWS_WITH_AS(scg::load_parameters(p.g, path), doctest::Contains("no value for parameter 'b'"), scg::Error);
    CHECK(unchanged());
  }
  {
    scg::Graph g2;
    g2.parameter("w", scg::Tensor(3, 2));
    g2.parameter("b", 0.0);
    scg::save_parameters(g2, path);
    CHECK_THROWS_WITH_AS(scg::load_parameters(p.g, path), doctest::Contains("3x2 in the file, 2x3 in the graph"), scg::ShapeError);
    CHECK(unchanged());
  }
  scg::Graph dup;
  dup.parameter("same", 1.0);
  dup.parameter("same", 2.0);
  CHECK_THROWS_WITH_AS(scg::save_parameters(dup, path), doctest::Contains("two parameters are named 'same'"), scg::Error);
  std::filesystem::remove(path);
}

TEST_CASE("a save that dies between write and rename leaves the previous file loadable") {
  const std::string path = temp_path("killed");
  Params p;
  scg::save_parameters(p.g, path);
  const auto first = p.values();
  p.w.set_value(scg::Tensor(2, 3, -2.0));
  std::string tmp;
  scg::detail::checkpoint_before_rename = [&](const std::string& t) {
    tmp = t;
    CHECK(std::filesystem::exists(t));
    throw std::runtime_error("simulated crash");
  };
  CHECK_THROWS_AS(scg::save_parameters(p.g, path), std::runtime_error);
  scg::detail::checkpoint_before_rename = nullptr;
  CHECK(tmp.rfind(path + ".tmp.", 0) == 0);  // a temporary of its own beside the file
  CHECK_FALSE(std::filesystem::exists(tmp));
  scg::load_parameters(p.g, path);
  CHECK(identical(p.values(), first));
  std::filesystem::remove(path);
}

TEST_CASE("concurrent saves to one path and a concurrent reader: only whole files, no failures") {
  const std::string path = temp_path("concurrent");
  Params a, b;
  b.w.set_value(scg::Tensor(2, 3, -2.0));
  scg::save_parameters(a.g, path);
  const auto va = a.values(), vb = b.values();
  std::atomic<int> failures{0}, reads{0}, torn{0};
  std::atomic<bool> stop{false};
  auto writer = [&](Params& p) {
    for (int i = 0; i < 150; ++i) try {
        scg::save_parameters(p.g, path);
      } catch (const scg::Error&) {
        ++failures;
      }
  };
  std::thread reader([&] {
    Params r;
    while (!stop) {
      try {
        scg::load_parameters(r.g, path);
        ++reads;
        if (!identical(r.values(), va) && !identical(r.values(), vb)) ++torn;
      } catch (const scg::Error&) {
        ++torn;  // a corrupt, empty or missing file at the final path
      }
    }
  });
  std::thread w1(writer, std::ref(a)), w2(writer, std::ref(b));
  w1.join();
  w2.join();
  stop = true;
  reader.join();
  CHECK(failures == 0);
  CHECK(torn == 0);
  CHECK(reads > 0);
  // No temporary is left behind.
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    CHECK(e.path().string().rfind(path + ".tmp", 0) != 0);
  std::filesystem::remove(path);
}

TEST_CASE("a directory or a malformed session-state key is refused with scg::Error") {
  const std::string dir = temp_path("dir");
  std::filesystem::create_directory(dir);
  Params p;
  CHECK_THROWS_WITH_AS(scg::load_parameters(p.g, dir), doctest::Contains("directory"), scg::Error);
  CHECK_THROWS_AS(scg::Checkpoint::load(dir), scg::Error);
  std::filesystem::remove(dir);
  // A session's entries with a state key that is not "<name>.state:<node id>".
  scg::Graph g;
  g.parameter("x", 1.0);
  scg::Session s(g, 1);
  for (const char* bad : {"run.state:abc", "run.state:", "run.state:12x", "run.state:-1"}) {
    INFO(bad);
    scg::Checkpoint c;
    c.add("run", s);
    c.add(bad, std::vector<scg::Tensor>{scg::Tensor(1, 1)});
    CHECK_THROWS_WITH_AS(c.restore("run", s), doctest::Contains("malformed session-state key"),
                         scg::Error);
  }
}

namespace {
/// A small training run that uses every kind of state: parameters, Adam's moments, the
/// session's random stream (Bernoulli choices) and a moving-average baseline's state.
struct Run {
  scg::Graph g;
  scg::Var w = g.parameter("w", scg::Tensor::from_rows({{0.3}, {-0.2}, {0.1}}));
  scg::Var x = g.constant(scg::Tensor::from_rows({{1.0, 0.5, -1.0}, {0.2, -0.3, 0.8}}));
  scg::Var b = scg::bernoulli(scg::matmul(x, w));
  scg::Var cost = scg::sum(scg::square(b - 0.7) * scg::matmul(x, w));
  std::vector<scg::Var> grads;
  scg::Session s{g, 99};
  scg::Adam adam{{w}, 0.05};
  Run() {
    scg::GradOptions opt;
    opt.baseline = scg::Baseline::kMovingAverage;
    grads = scg::grad(cost, {w}, opt);
  }
  void steps(int n) {
    for (int i = 0; i < n; ++i) adam.step(s.run(grads));
  }
};
}  // namespace

TEST_CASE("a run resumed from a checkpoint is bit-identical to one never stopped") {
  const std::string path = temp_path("resume");
  Run straight;
  straight.steps(40);
  Run first;
  first.steps(15);
  scg::Checkpoint c;
  c.add_parameters(first.g);
  c.add("adam", first.adam);
  c.add("session", first.s);
  c.add("note", std::string("step 15"));
  c.save(path);
  Run resumed;  // built afresh, as a new process would
  const scg::Checkpoint loaded = scg::Checkpoint::load(path);
  loaded.restore_parameters(resumed.g);
  loaded.restore("adam", resumed.adam);
  loaded.restore("session", resumed.s);
  CHECK(loaded.bytes("note") == "step 15");
  CHECK(loaded.has("session.random"));
  resumed.steps(25);
  CHECK(identical({resumed.w.value()}, {straight.w.value()}));
  // Without the session's state (random stream and moving average), it is not the same run.
  Run partial;
  loaded.restore_parameters(partial.g);
  loaded.restore("adam", partial.adam);
  partial.steps(25);
  CHECK_FALSE(identical({partial.w.value()}, {straight.w.value()}));
  const std::string state = resumed.s.random_state();
  CHECK_THROWS_WITH_AS(resumed.s.set_random_state("12 34 garbage"), doctest::Contains("not a random stream"), scg::Error);
  CHECK(resumed.s.random_state() == state);  // unchanged by the refused text
  CHECK_THROWS_WITH_AS(loaded.tensors("nothing"), doctest::Contains("no tensors named 'nothing'"), scg::Error);
  scg::Adam wrong({resumed.w, resumed.w}, 0.1);
  CHECK_THROWS_AS(loaded.restore("adam", wrong), scg::Error);
  std::filesystem::remove(path);
}
