#pragma once
// The exceptions of the bridge, all a2w::Error. Malformed input is a2w::InvalidArgument (error.h).
//
//   RemoteError        the peer answered with an error message (its code and text are kept)
//   Unavailable        no answer: the server cannot be reached, stopped answering pings, or went away
//   DeadlineExceeded   an Unavailable: the request's deadline passed before its reply came

#include <string>

#include "a2w/bridge/protocol.h"
#include "a2w/env/error.h"

namespace a2w::bridge {

class RemoteError : public Error {
 public:
  RemoteError(ErrorCode code, const std::string& what) : Error(what), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

class Unavailable : public Error {
 public:
  using Error::Error;
};

class DeadlineExceeded : public Unavailable {
 public:
  using Unavailable::Unavailable;
};

}  // namespace a2w::bridge
