#pragma once
/// \file
/// Errors thrown by scg. Every message names the op, the node and the shapes involved.

#include <stdexcept>
#include <string>

namespace scg {
/// \addtogroup core
/// @{

/// Base class of every error scg throws on bad input or misuse.
class Error : public std::runtime_error {
 public:
  /// Builds an error whose what() is "scg: " followed by `message`.
  explicit Error(const std::string& message)
      : std::runtime_error("scg: " + message), message_(message) {}
  /// The message without the "scg: " prefix (to build a longer message from it).
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

/// Shapes that do not fit an op's shape rule (thrown when the node is built).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// @}
}  // namespace scg
