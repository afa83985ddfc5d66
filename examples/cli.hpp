#pragma once
// The examples' command lines: each option declared once, in one line, parsed by
// Boost.Program_options and checked before any work starts.
//
//   int main(int argc, char** argv) {
//     return cli::run("name", [&] {
//       Settings s;
//       cli::Flags f("name", "what the program does");
//       f.quick_flag(s.quick, "a short run");
//       f.count("steps", s.steps, "S", "Adam steps").quick(150);   // an integer >= 1
//       f.out_dir("out", s.out, "folder for the CSV files");       // exists and is writable
//       f.parse(argc, argv);
//       ...
//     });
//   }
//
// A bad flag (unknown, missing its value, not a number, out of range, not in the list, a
// folder that does not exist or cannot be written) prints the problem and the usage on stderr
// and leaves with status 2; --help prints the usage on stdout and leaves with 0. --quick sets
// the values declared with .quick(v) unless the option itself is given (in any order). cli::run
// turns any other exception (scg::Error, an I/O failure) into one line on stderr and status 1.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace cli {

/// Thrown to leave main with `status` (after --help or a usage message); cli::run returns it.
struct Exit {
  int status;
};

/// A flag that does not parse or check; Flags::parse reports it with the usage.
struct BadFlag : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {

template <class T>
std::string show(const T& v) {
  std::ostringstream o;
  o << v;
  return o.str();
}
inline std::string show(const std::string& v) { return v.empty() ? "none" : v; }

inline std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : sep) + p;
  return s;
}

/// `text` as a whole integer in [lo, hi], or BadFlag naming the option.
inline long long to_integer(const std::string& name, const std::string& text, long long lo,
                            long long hi) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw BadFlag("--" + name + ": '" + text + "' is not an integer");
  if (v < lo || v > hi)
    throw BadFlag("--" + name + " must be " +
                  (hi == LLONG_MAX || hi == INT_MAX
                       ? "at least " + std::to_string(lo)
                       : "in " + std::to_string(lo) + ".." + std::to_string(hi)) +
                  ", not " + text);
  return v;
}

/// Folder `dir` exists and a file can be created in it, or BadFlag.
inline void writable_folder(const std::string& what, const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) throw BadFlag(what + ": no such folder " + dir.string());
  if (!std::filesystem::is_directory(dir, ec))
    throw BadFlag(what + ": " + dir.string() + " is not a folder");
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    throw BadFlag(what + ": folder " + dir.string() + " is not writable");
}

}  // namespace detail

/// The options of one program: declared, parsed, checked.
class Flags {
  struct Record {
    std::string name, arg, help, default_text, quick_text;
    std::function<void(const std::string&)> set;  // converts and checks a given value
    std::function<void()> check;                  // checks the final value (paths), or empty
    std::function<void()> apply_quick;            // sets the --quick value, or empty
    bool* flag = nullptr;                         // a switch (no value)
  };

 public:
  /// A declared option; .quick(v) gives the value --quick sets.
  template <class T>
  class Option {
   public:
    Option(Record& r, T& target) : r_(r), target_(target) {}
    Option& quick(T v) {
      r_.quick_text = detail::show(v);
      r_.apply_quick = [&t = target_, v] { t = v; };
      return *this;
    }

   private:
    Record& r_;
    T& target_;
  };

  Flags(std::string program, std::string summary)
      : program_(std::move(program)), summary_(std::move(summary)) {}

  /// --quick: a short run; sets every value declared with .quick(v) that is not given.
  void quick_flag(bool& target, const std::string& help) {
    quick_ = &target;
    switch_flag("quick", target, help);
  }
  /// A switch, false unless given.
  void switch_flag(const std::string& name, bool& target, const std::string& help) {
    Record& r = add(name, "", help, "");
    r.flag = &target;
  }
  /// An integer >= min (a count: steps, samples, runs).
  Option<int> count(const std::string& name, int& target, const std::string& arg,
                    const std::string& help, int min = 1) {
    return integer(name, target, arg, help, min, INT_MAX);
  }
  /// An integer in [min, max].
  Option<int> integer(const std::string& name, int& target, const std::string& arg,
                      const std::string& help, int min, int max) {
    Record& r = add(name, arg, help, detail::show(target));
    r.set = [&target, name, min, max](const std::string& s) {
      target = static_cast<int>(detail::to_integer(name, s, min, max));
    };
    return {r, target};
  }
  /// A random seed: an integer in [0, 2^32).
  Option<unsigned> seed(const std::string& name, unsigned& target, const std::string& help) {
    Record& r = add(name, "N", help, detail::show(target));
    r.set = [&target, name](const std::string& s) {
      target = static_cast<unsigned>(detail::to_integer(name, s, 0, UINT_MAX));
    };
    return {r, target};
  }
  /// A finite number > 0.
  Option<double> positive(const std::string& name, double& target, const std::string& arg,
                          const std::string& help) {
    Record& r = add(name, arg, help, detail::show(target));
    r.set = [&target, name](const std::string& s) {
      double v = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        throw BadFlag("--" + name + ": '" + s + "' is not a number");
      if (!std::isfinite(v) || !(v > 0)) throw BadFlag("--" + name + " must be > 0, not " + s);
      target = v;
    };
    return {r, target};
  }
  /// One of a fixed list of words (an enum).
  Option<std::string> choice(const std::string& name, std::string& target,
                             const std::vector<std::string>& values, const std::string& help) {
    Record& r = add(name, detail::join(values, "|"), help, target);
    r.set = [&target, name, values](const std::string& s) {
      for (const auto& v : values)
        if (s == v) return void(target = s);
      throw BadFlag("--" + name + " must be one of " + detail::join(values, ", ") + ", not '" + s +
                    "'");
    };
    return {r, target};
  }
  /// Any text (a path read later, with its own message).
  Option<std::string> text(const std::string& name, std::string& target, const std::string& arg,
                           const std::string& help) {
    Record& r = add(name, arg, help, detail::show(target));
    r.set = [&target](const std::string& s) { target = s; };
    return {r, target};
  }
  /// A folder written into: it must exist and be writable (checked for the default too).
  Option<std::string> out_dir(const std::string& name, std::string& target,
                              const std::string& help) {
    Option<std::string> o = text(name, target, "DIR", help);
    recs_.back().check = [&target, name] { detail::writable_folder("--" + name, target); };
    return o;
  }
  /// A file written later (a checkpoint): its folder must exist and be writable.
  Option<std::string> out_file(const std::string& name, std::string& target,
                               const std::string& help) {
    Option<std::string> o = text(name, target, "FILE", help);
    recs_.back().check = [&target, name] {
      if (target.empty()) return;
      const std::filesystem::path p(target);
      std::error_code ec;
      if (std::filesystem::is_directory(p, ec))
        throw BadFlag("--" + name + ": " + target + " is a folder");
      detail::writable_folder("--" + name + " " + target,
                              p.has_parent_path() ? p.parent_path() : std::filesystem::path("."));
    };
    return o;
  }
  /// A file read later (a checkpoint to resume): it must exist and be readable.
  Option<std::string> in_file(const std::string& name, std::string& target,
                              const std::string& help) {
    Option<std::string> o = text(name, target, "FILE", help);
    recs_.back().check = [&target, name] {
      std::error_code ec;
      if (target.empty()) return;
      if (!std::filesystem::exists(target, ec))
        throw BadFlag("--" + name + ": no such file " + target);
      if (!std::filesystem::is_regular_file(target, ec))
        throw BadFlag("--" + name + ": " + target + " is not a file");
      if (access(target.c_str(), R_OK) != 0) throw BadFlag("--" + name + ": cannot read " + target);
    };
    return o;
  }

  /// Parses and checks the command line. Throws Exit{0} after --help (usage on stdout) and
  /// Exit{2} after a bad flag (the problem and the usage on stderr).
  void parse(int argc, char** argv) {
    namespace po = boost::program_options;
    try {
      po::variables_map vm;
      const int style = po::command_line_style::default_style &
                        ~po::command_line_style::allow_guessing &
                        ~po::command_line_style::allow_short;
      const po::positional_options_description none;  // every word belongs to an option
      po::store(po::command_line_parser(argc, argv)
                    .options(description())
                    .positional(none)
                    .style(style)
                    .run(),
                vm);
      if (vm.count("help")) {
        std::cout << usage();
        throw Exit{0};
      }
      for (Record& r : recs_) {
        if (r.flag)
          *r.flag = vm.count(r.name) > 0;
        else if (vm.count(r.name))
          r.set(vm[r.name].as<std::string>());
      }
      if (quick_ && *quick_)
        for (Record& r : recs_)
          if (r.apply_quick && !vm.count(r.name)) r.apply_quick();
      given_ = vm;
      for (Record& r : recs_)
        if (r.check) r.check();
    } catch (const po::error& e) {
      fail(e.what());
    } catch (const BadFlag& e) {
      fail(e.what());
    }
  }

  /// True if --name was on the command line.
  bool given(const std::string& name) const { return given_.count(name) > 0; }

  /// Reports a bad combination of flags found after parse(): the message and the usage on
  /// stderr, then Exit{2}.
  [[noreturn]] void fail(const std::string& message) const {
    std::cerr << program_ << ": " << message << "\n" << usage();
    throw Exit{2};
  }

  /// "usage: ...", the summary and the options.
  std::string usage() const {
    std::ostringstream o;
    o << "usage: " << program_ << " [options]\n" << summary_ << "\n\n" << description();
    return o.str();
  }

 private:
  Record& add(const std::string& name, const std::string& arg, const std::string& help,
              const std::string& default_text) {
    recs_.push_back(Record{name, arg, help, default_text, "", {}, {}, {}, nullptr});
    return recs_.back();
  }

  boost::program_options::options_description description() const {
    namespace po = boost::program_options;
    po::options_description d("options", 100, 60);
    d.add_options()("help", "this message");
    for (const Record& r : recs_) {
      std::string help = r.help;
      if (r.name == "quick") {
        std::vector<std::string> sets;
        for (const Record& q : recs_)
          if (q.apply_quick) sets.push_back("--" + q.name + " " + q.quick_text);
        if (!sets.empty()) help += " (" + detail::join(sets, ", ") + ")";
      } else if (!r.flag) {
        help += " (default " + r.default_text + ")";
      }
      if (r.flag)
        d.add_options()(r.name.c_str(), help.c_str());
      else
        d.add_options()(r.name.c_str(), po::value<std::string>()->value_name(r.arg), help.c_str());
    }
    return d;
  }

  std::string program_, summary_;
  std::deque<Record> recs_;  // stable addresses: Option holds a reference
  bool* quick_ = nullptr;
  boost::program_options::variables_map given_;
};

/// Runs main's body: returns its status, Exit's status, or 1 with one line on stderr for any
/// exception (scg::Error from the library, an I/O failure), never an abort.
template <class Body>
int run(const char* program, Body&& body) noexcept {
  try {
    return body();
  } catch (const Exit& e) {
    return e.status;
  } catch (const std::exception& e) {
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    std::fprintf(stderr, "%s: error: %s\n", program, what.c_str());
  } catch (...) {
    std::fprintf(stderr, "%s: error: unknown exception\n", program);
  }
  return 1;
}

}  // namespace cli
