#include "file_lock.hpp"

#include <sys/file.h>

#include <cerrno>

#include "util/errors.hpp"

namespace mcr {

Napi::Value LockFileJs(const Napi::CallbackInfo& info) {
  const int fd = info[0].As<Napi::Number>().Int32Value();
  int result;
  do {
    result = flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) throw MakeNativeError(info.Env(), errno, "flock");
  return info.Env().Undefined();
}

}  // namespace mcr
