#pragma once
/// \file
/// Checkpoints: parameters, optimizer states, a session's random stream and op states,
/// and a caller's own bytes, in one binary file written atomically and read with checks.
///
/// File format (version 1, little-endian):
///   8 bytes  magic "SCGCKPT1"
///   u32      format version (1)
///   u32      number of entries, then each entry:
///              u32 name length, the name's bytes,
///              u8 kind: 0 = tensors, 1 = bytes,
///              tensors: u32 count, then per tensor u64 rows, u64 cols, rows*cols f64
///                       (column by column);
///              bytes:   u64 length, the bytes
///   u32      CRC-32 (Boost.CRC's crc_32_type) of every byte before it.
/// Parameters are entries "param:<name>" (one tensor each).
///
/// Writing is atomic: a temporary file beside the target, fsync, rename, fsync of the folder;
/// a crash at any point leaves the previous file intact. Reading checks the magic, version,
/// length and checksum before anything is changed; restoring checks names and shapes of
/// everything first, then assigns, so a failure changes nothing.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "scg/core/graph.hpp"
#include "scg/core/session.hpp"
#include "scg/core/tensor.hpp"
#include "scg/train/optim.hpp"

namespace scg {
/// \addtogroup training
/// @{

/// Writes every parameter of `g` (name, shape, values) to `path` atomically. Parameter names
/// must be unique (scg::Error names a duplicate).
void save_parameters(const Graph& g, const std::string& path);
/// Restores every parameter of `g` by name from `path`, all or nothing: a missing, truncated or
/// corrupt file, a name the graph lacks or lacks in the file, or another shape throws
/// scg::Error saying which, and changes no parameter.
void load_parameters(Graph& g, const std::string& path);

/// A set of named entries to save together (a whole training state), or read back.
class Checkpoint {
 public:
  /// Every parameter of g, as "param:<name>".
  void add_parameters(const Graph& g);
  /// Named tensors (an optimizer's state, say).
  void add(const std::string& name, std::vector<Tensor> tensors);
  /// Named bytes (the caller's own state: a data order, a step count, ...).
  void add(const std::string& name, std::string bytes);
  /// An optimizer's state.
  void add(const std::string& name, const Optimizer& o) { add(name, o.state()); }
  /// A session's random stream and the states of its stateful ops.
  void add(const std::string& name, const Session& s);

  /// Writes the entries to `path` atomically (see the file comment).
  void save(const std::string& path) const;
  /// Reads and checks a file written by save().
  static Checkpoint load(const std::string& path);

  /// Restores every parameter of g (see load_parameters).
  void restore_parameters(Graph& g) const;
  void restore(const std::string& name, Optimizer& o) const;  ///< an optimizer's state
  void restore(const std::string& name, Session& s) const;    ///< random stream and op states
  /// The tensors or bytes stored under `name`; throws scg::Error if there is no such entry.
  const std::vector<Tensor>& tensors(const std::string& name) const;
  const std::string& bytes(const std::string& name) const;  ///< (see tensors)
  /// True if an entry `name` exists.
  bool has(const std::string& name) const { return entries_.count(name) > 0; }

 private:
  struct Entry {
    bool is_bytes = false;
    std::vector<Tensor> tensors;
    std::string bytes;
  };
  std::map<std::string, Entry> entries_;
  std::string path_;  // where it was read from (for messages)
};

namespace detail {
/// Test hook: called after the temporary file is written and synced, before the rename (a
/// test throws from it to simulate a crash at the worst moment). Empty by default.
extern std::function<void(const std::string& temporary)> checkpoint_before_rename;
}  // namespace detail

/// @}
}  // namespace scg
