#pragma once
// What every example does around its model: timing, and output files that either are written
// or say why not (an exception cli::run reports), never a silent "wrote ..." over nothing.
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace report {

using Clock = std::chrono::steady_clock;

/// Seconds since t0.
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// An output file opened for writing (or appending); throws std::runtime_error naming the path
/// and the reason when it cannot be.
inline std::ofstream open(const std::string& path, std::ios::openmode mode = std::ios::out) {
  std::ofstream f(path, mode);
  if (!f) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  return f;
}

/// Flushes and closes an output file; throws std::runtime_error if any write failed.
inline void close(std::ofstream& f, const std::string& path) {
  f.close();
  if (!f) throw std::runtime_error("writing " + path + " failed");
}

}  // namespace report
