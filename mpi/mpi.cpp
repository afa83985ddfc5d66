// scg::mpi: allreduce_mean checks that the ranks' lists agree (one allreduce of six numbers),
// then packs every tensor into one buffer for one MPI_Allreduce (through Boost.MPI, which maps
// std::plus<double> on doubles to MPI_SUM); broadcast_parameters checks
// names and shapes against rank 0's with one broadcast and one allreduce of a flag, so a
// mismatch throws on every rank, then broadcasts the values in one buffer.
#include "scg/mpi.hpp"

#include <array>
#include <boost/container_hash/hash.hpp>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/operations.hpp>
#include <boost/serialization/string.hpp>
#include <functional>
#include <map>
#include <sstream>

#include "scg/train/parameters.hpp"

namespace scg::mpi {
namespace {

thread_local std::vector<double> send_buffer, recv_buffer;

// The ranks' lists agree (count, elements and a hash of the shapes), found with one small
// allreduce that every rank makes whatever its list, so a mismatch throws on every rank and
// no rank skips or mispairs the collective that follows.
void check_agreement(const std::vector<Tensor>& tensors, std::size_t n,
                     const boost::mpi::communicator& comm) {
  std::size_t shapes = 0;
  for (const Tensor& t : tensors) {
    boost::hash_combine(shapes, t.rows());
    boost::hash_combine(shapes, t.cols());
  }
  const auto count = static_cast<long long>(tensors.size()), elements = static_cast<long long>(n),
             hash = static_cast<long long>(shapes & 0x7fffffffffffffffULL);
  const std::array<long long, 6> mine{count, -count, elements, -elements, hash, -hash};
  std::array<long long, 6> all{};
  boost::mpi::all_reduce(comm, mine.data(), 6, all.data(), boost::mpi::maximum<long long>());
  if (all[0] == -all[1] && all[2] == -all[3] && all[4] == -all[5]) return;
  std::string shape_list;
  for (std::size_t i = 0; i < tensors.size() && i < 8; ++i)
    shape_list += (i ? ", " : "") + tensors[i].shape().str();
  if (tensors.size() > 8) shape_list += ", ...";
  throw Error("scg::mpi::allreduce_mean: rank " + std::to_string(comm.rank()) + " has " +
              std::to_string(count) + " tensors (" + shape_list + "), " + std::to_string(elements) +
              " elements; the ranks disagree (tensor counts " + std::to_string(-all[1]) + " to " +
              std::to_string(all[0]) + ", elements " + std::to_string(-all[3]) + " to " +
              std::to_string(all[2]) +
              (all[0] == -all[1] && all[2] == -all[3] ? ", shapes differ" : "") +
              "); every rank must pass the same shapes in the same order; nothing was changed");
}

}  // namespace

void allreduce_mean(std::vector<Tensor>& tensors, const boost::mpi::communicator& comm) {
  std::size_t n = 0;
  for (const Tensor& t : tensors) n += static_cast<std::size_t>(t.shape().size());
  check_agreement(tensors, n, comm);
  if (n == 0) return;
  send_buffer.resize(n);
  recv_buffer.resize(n);
  std::size_t at = 0;
  for (const Tensor& t : tensors) {
    std::copy(t.data(), t.data() + t.shape().size(), send_buffer.data() + at);
    at += static_cast<std::size_t>(t.shape().size());
  }
  boost::mpi::all_reduce(comm, send_buffer.data(), static_cast<int>(n), recv_buffer.data(),
                         std::plus<double>());
  const double scale = 1.0 / comm.size();
  at = 0;
  for (Tensor& t : tensors) {
    double* d = t.data();
    for (Eigen::Index i = 0; i < t.shape().size(); ++i)
      d[i] = recv_buffer[at + static_cast<std::size_t>(i)] * scale;
    at += static_cast<std::size_t>(t.shape().size());
  }
}

void broadcast_parameters(Graph& g, const boost::mpi::communicator& comm) {
  const std::map<std::string, Var> params = parameters_by_name(g);
  std::ostringstream mine;
  for (const auto& [name, p] : params) mine << name << ' ' << p.rows() << ' ' << p.cols() << '\n';
  std::string root = mine.str();
  boost::mpi::broadcast(comm, root, 0);
  // This rank's verdict, then every rank's: all ranks learn of any mismatch.
  std::string problem;
  if (root != mine.str()) {
    std::istringstream in(root);
    std::map<std::string, std::pair<long, long>> theirs;
    std::string name;
    long r = 0, c = 0;
    while (in >> name >> r >> c) theirs[name] = {r, c};
    for (const auto& [n, p] : params) {
      const auto it = theirs.find(n);
      if (it == theirs.end()) {
        problem = "parameter '" + n + "' (" + p.shape().str() + ") is not on rank 0";
        break;
      }
      if (it->second != std::pair<long, long>{p.rows(), p.cols()}) {
        problem = "parameter '" + n + "' is " + p.shape().str() + " here and " +
                  std::to_string(it->second.first) + "x" + std::to_string(it->second.second) +
                  " on rank 0";
        break;
      }
    }
    if (problem.empty())
      for (const auto& [n, shape] : theirs)
        if (!params.count(n)) {
          problem = "rank 0's parameter '" + n + "' is missing here";
          break;
        }
    if (problem.empty()) problem = "the parameter lists differ";
  }
  const int bad = boost::mpi::all_reduce(comm, problem.empty() ? 0 : 1, std::plus<int>());
  if (bad)
    throw Error("scg::mpi::broadcast_parameters: rank " + std::to_string(comm.rank()) + ": " +
                (problem.empty()
                     ? std::to_string(bad) +
                           " other rank(s) have parameters (names or shapes) that differ "
                           "from rank 0's; nothing was changed"
                     : problem + "; nothing was changed"));
  std::vector<Tensor> values;
  for (const auto& [name, p] : params) values.push_back(p.value());
  std::size_t n = 0;
  for (const Tensor& t : values) n += static_cast<std::size_t>(t.shape().size());
  std::vector<double> buffer;
  buffer.reserve(n);
  for (const Tensor& t : values) buffer.insert(buffer.end(), t.data(), t.data() + t.shape().size());
  if (n) boost::mpi::broadcast(comm, buffer.data(), static_cast<int>(n), 0);
  std::size_t at = 0;
  for (auto& [name, p] : params) {
    Tensor v(p.shape());
    std::copy(buffer.data() + at, buffer.data() + at + v.shape().size(), v.data());
    at += static_cast<std::size_t>(v.shape().size());
    p.set_value(v);
  }
}

}  // namespace scg::mpi
