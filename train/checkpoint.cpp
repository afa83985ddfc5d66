// Checkpoints (see checkpoint.hpp for the file format).
#include "scg/train/checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "scg/core/error.hpp"
#include "scg/train/parameters.hpp"

namespace scg {

std::function<void(const std::string&)> detail::checkpoint_before_rename;

namespace {

constexpr char kMagic[8] = {'S', 'C', 'G', 'C', 'K', 'P', 'T', '1'};
constexpr std::uint32_t kVersion = 1;

template <class T>
void put(std::string& out, T v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}

/// Reads a file written by serialize; every read checks the length left.
class Reader {
 public:
  Reader(const std::string& data, const std::string& path) : d_(data), path_(path) {}
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, d_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  std::string bytes(std::size_t n, const char* what) {
    need(n, what);
    std::string s = d_.substr(at_, n);
    at_ += n;
    return s;
  }
  std::size_t at() const { return at_; }

 private:
  void need(std::size_t n, const char* what) {
    if (n > d_.size() - at_)
      throw Error("checkpoint " + path_ + ": truncated (" + what + " at byte " +
                  std::to_string(at_) + " of " + std::to_string(d_.size()) + ")");
  }
  const std::string& d_;
  std::string path_;
  std::size_t at_ = 0;
};

std::uint32_t crc32(const char* data, std::size_t n) {
  boost::crc_32_type crc;
  crc.process_bytes(data, n);
  return crc.checksum();
}

[[noreturn]] void io_error(const std::string& what, const std::string& path) {
  throw Error("checkpoint: " + what + " " + path + ": " + std::strerror(errno));
}

constexpr const char* kParam = "param:";

}  // namespace

void Checkpoint::add_parameters(const Graph& g) {
  for (const auto& [name, p] : parameters_by_name(g))
    add(kParam + name, std::vector<Tensor>{p.value()});
}

void Checkpoint::add(const std::string& name, std::vector<Tensor> tensors) {
  Entry e;
  e.tensors = std::move(tensors);
  entries_[name] = std::move(e);
}

void Checkpoint::add(const std::string& name, std::string bytes) {
  Entry e;
  e.is_bytes = true;
  e.bytes = std::move(bytes);
  entries_[name] = std::move(e);
}

void Checkpoint::add(const std::string& name, const Session& s) {
  add(name + ".random", s.random_state());
  for (const auto& [id, t] : s.op_states())
    add(name + ".state:" + std::to_string(id), std::vector<Tensor>{t});
}

void Checkpoint::save(const std::string& path) const {
  std::string out(kMagic, sizeof kMagic);
  put(out, kVersion);
  put(out, static_cast<std::uint32_t>(entries_.size()));
  for (const auto& [name, e] : entries_) {
    put(out, static_cast<std::uint32_t>(name.size()));
    out += name;
    put(out, static_cast<std::uint8_t>(e.is_bytes ? 1 : 0));
    if (e.is_bytes) {
      put(out, static_cast<std::uint64_t>(e.bytes.size()));
      out += e.bytes;
      continue;
    }
    put(out, static_cast<std::uint32_t>(e.tensors.size()));
    for (const Tensor& t : e.tensors) {
      put(out, static_cast<std::uint64_t>(t.rows()));
      put(out, static_cast<std::uint64_t>(t.cols()));
      out.append(reinterpret_cast<const char*>(t.data()),
                 static_cast<std::size_t>(t.shape().size()) * sizeof(double));
    }
  }
  put(out, crc32(out.data(), out.size()));

  // A temporary of its own in the same folder (so the rename is atomic): concurrent saves to
  // one path never share or rename each other's file, and a reader sees a whole old or new one.
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) io_error("cannot create a temporary file beside", path);
  ::fchmod(fd, 0644);  // mkostemp makes it 0600; a checkpoint is an ordinary file
  auto fail = [&](const std::string& what) {
    const int saved = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    errno = saved;
    io_error(what, tmp);
  };
  for (std::size_t done = 0; done < out.size();) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("cannot sync");
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    io_error("cannot close", tmp);
  }
  try {
    if (detail::checkpoint_before_rename) detail::checkpoint_before_rename(tmp);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    io_error("cannot rename " + tmp + " to", path);
  }
  // The rename itself is durable once the folder is synced.
  const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

Checkpoint Checkpoint::load(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error("checkpoint " + path + ": is a directory, not a checkpoint file");
  std::ifstream in(path, std::ios::binary);
  if (!in) io_error("cannot open", path);
  std::string data;
  try {
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {  // a read error the stream reports by throwing
    io_error("cannot read", path);
  }
  if (in.bad()) io_error("cannot read", path);
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    throw Error("checkpoint " + path + ": not an scg checkpoint (no SCGCKPT1 header)");
  if (data.size() < sizeof kMagic + 12)
    throw Error("checkpoint " + path + ": truncated (" + std::to_string(data.size()) + " bytes)");
  std::uint32_t stored;
  std::memcpy(&stored, data.data() + data.size() - 4, 4);
  Reader r(data, path);
  r.bytes(sizeof kMagic, "magic");
  const auto version = r.get<std::uint32_t>("version");
  if (version != kVersion)
    throw Error("checkpoint " + path + ": format version " + std::to_string(version) +
                ", this scg reads " + std::to_string(kVersion));
  if (crc32(data.data(), data.size() - 4) != stored)
    throw Error("checkpoint " + path + ": corrupt (checksum mismatch) or truncated");
  Checkpoint c;
  c.path_ = path;
  const auto count = r.get<std::uint32_t>("entry count");
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::string name = r.bytes(r.get<std::uint32_t>("name length"), "name");
    Entry e;
    const auto kind = r.get<std::uint8_t>("entry kind");
    if (kind > 1)
      throw Error("checkpoint " + path + ": entry '" + name + "' has unknown kind " +
                  std::to_string(kind));
    e.is_bytes = kind == 1;
    if (e.is_bytes) {
      e.bytes = r.bytes(r.get<std::uint64_t>("byte count"), "bytes");
    } else {
      const auto n = r.get<std::uint32_t>("tensor count");
      for (std::uint32_t i = 0; i < n; ++i) {
        const auto rows = r.get<std::uint64_t>("rows"), cols = r.get<std::uint64_t>("cols");
        if (rows > (1u << 31) || cols > (1u << 31) || rows * cols > (data.size() / sizeof(double)))
          throw Error("checkpoint " + path + ": entry '" + name + "' claims a " +
                      std::to_string(rows) + "x" + std::to_string(cols) +
                      " tensor, more than the file holds");
        Tensor t(static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(cols));
        const std::string values =
            r.bytes(static_cast<std::size_t>(rows * cols) * sizeof(double), "values");
        std::memcpy(t.data(), values.data(), values.size());
        e.tensors.push_back(std::move(t));
      }
    }
    c.entries_[name] = std::move(e);
  }
  if (r.at() != data.size() - 4)
    throw Error("checkpoint " + path + ": " + std::to_string(data.size() - 4 - r.at()) +
                " bytes after the last entry");
  return c;
}

const std::vector<Tensor>& Checkpoint::tensors(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end() || it->second.is_bytes)
    throw Error("checkpoint " + path_ + ": no tensors named '" + name + "'");
  return it->second.tensors;
}

const std::string& Checkpoint::bytes(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end() || !it->second.is_bytes)
    throw Error("checkpoint " + path_ + ": no bytes named '" + name + "'");
  return it->second.bytes;
}

void Checkpoint::restore_parameters(Graph& g) const {
  const std::map<std::string, Var> params = parameters_by_name(g);
  const std::string where = "checkpoint " + path_ + ": ";
  // Check everything first: names both ways, then shapes.
  for (const auto& [key, e] : entries_) {
    if (key.rfind(kParam, 0) != 0) continue;
    const std::string name = key.substr(std::strlen(kParam));
    if (!params.count(name)) throw Error(where + "parameter '" + name + "' is not in the graph");
  }
  for (const auto& [name, p] : params) {
    const auto it = entries_.find(kParam + name);
    if (it == entries_.end()) throw Error(where + "no value for parameter '" + name + "'");
    if (it->second.is_bytes || it->second.tensors.size() != 1 ||
        it->second.tensors[0].shape() != p.shape())
      throw ShapeError(where + "parameter '" + name + "' is " +
                       (it->second.tensors.size() == 1 ? it->second.tensors[0].shape().str()
                                                       : std::string("malformed")) +
                       " in the file, " + p.shape().str() + " in the graph");
  }
  for (const auto& [name, p] : params) p.set_value(entries_.at(kParam + name).tensors[0]);
}

void Checkpoint::restore(const std::string& name, Optimizer& o) const {
  o.set_state(tensors(name));
}

void Checkpoint::restore(const std::string& name, Session& s) const {
  const std::string random = bytes(name + ".random");
  const std::string prefix = name + ".state:";
  std::vector<std::pair<std::size_t, Tensor>> states;
  for (const auto& [key, e] : entries_)
    if (key.rfind(prefix, 0) == 0) {
      if (e.is_bytes || e.tensors.size() != 1)
        throw Error("checkpoint " + path_ + ": malformed entry '" + key + "'");
      const std::string id = key.substr(prefix.size());
      std::size_t node = 0;
      const auto [end, err] = std::from_chars(id.data(), id.data() + id.size(), node);
      if (id.empty() || err != std::errc() || end != id.data() + id.size())
        throw Error("checkpoint " + path_ + ": malformed session-state key '" + key +
                    "' (expected '" + prefix + "<node id>')");
      states.emplace_back(node, e.tensors[0]);
    }
  // Each setter checks everything before it changes anything; if the states are refused, the
  // random stream is put back.
  const std::string old = s.random_state();
  s.set_random_state(random);
  try {
    s.set_op_states(states);
  } catch (...) {
    s.set_random_state(old);
    throw;
  }
}

void save_parameters(const Graph& g, const std::string& path) {
  Checkpoint c;
  c.add_parameters(g);
  c.save(path);
}

void load_parameters(Graph& g, const std::string& path) {
  Checkpoint::load(path).restore_parameters(g);
}

}  // namespace scg
