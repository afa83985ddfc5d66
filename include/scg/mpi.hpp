#pragma once
/// \file
/// scg's MPI component (CMake target scg::mpi, built when Boost.MPI is found): data-parallel
/// training over processes and machines with Boost.MPI and Open MPI.
///
/// The pattern: every rank builds the same graph, takes rank 0's parameters
/// (broadcast_parameters), and per step evaluates its share of the batch with its own random
/// stream (Session seeded with rank_seed), averages the gradients (allreduce_mean) and takes
/// the same optimizer step, so parameters stay identical on every rank.

#include <boost/mpi/communicator.hpp>
#include <cstdint>
#include <vector>

#include "scg/scg.hpp"

namespace scg::mpi {
/// \addtogroup mpi
/// @{

/// Averages each tensor over all ranks of `comm`, in place: every rank passes tensors of the
/// same shapes in the same order. That is checked first (one small allreduce of the counts and
/// a hash of the shapes, made by every rank, an empty list too): a mismatch throws scg::Error
/// on every rank, naming this rank's list, and changes nothing. The values then travel packed
/// in one buffer and one MPI_Allreduce; the buffers are kept between calls (per thread), so a
/// warm call allocates nothing on scg's side. A collective: every rank must call it.
void allreduce_mean(std::vector<Tensor>& tensors, const boost::mpi::communicator& comm);

/// Every rank takes rank 0's parameter values. Parameters are matched by name, and shapes
/// checked: if any rank's parameters (names or shapes) differ from rank 0's, every rank throws
/// scg::Error (the differing rank names the parameter) instead of hanging or corrupting
/// values. A collective: every rank must call it.
void broadcast_parameters(Graph& g, const boost::mpi::communicator& comm);

/// The seed of rank r's Session for a run seeded `seed`: seed + r. Ranks then draw from
/// different mt19937_64 streams (distinct seeds), so their samples are independent and their
/// averaged gradient estimate has 1/size of one rank's variance.
inline std::uint64_t rank_seed(std::uint64_t seed, const boost::mpi::communicator& comm) {
  return seed + static_cast<std::uint64_t>(comm.rank());
}

/// @}
}  // namespace scg::mpi
