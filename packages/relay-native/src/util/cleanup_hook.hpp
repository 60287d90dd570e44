// An environment cleanup hook held by a native object: the backstop that stops the object's thread
// and closes its descriptors when the environment (a worker_thread, the process) is torn down before
// the object is destroyed. Added once the object is complete; removed by the destructor, unless the
// runtime has already called it (it drops a hook once it calls it).
#pragma once

#include <node_api.h>

namespace mcr {

class CleanupHook {
 public:
  CleanupHook(void (*run)(void* owner), void* owner) : run_(run), owner_(owner) {}
  ~CleanupHook() { Remove(); }
  CleanupHook(const CleanupHook&) = delete;
  CleanupHook& operator=(const CleanupHook&) = delete;

  void Add(napi_env env) {
    env_ = env;
    added_ = napi_add_env_cleanup_hook(env, &CleanupHook::Call, this) == napi_ok;
  }

  void Remove() {
    if (added_) napi_remove_env_cleanup_hook(env_, &CleanupHook::Call, this);
    added_ = false;
  }

 private:
  static void Call(void* self) {
    auto* hook = static_cast<CleanupHook*>(self);
    hook->added_ = false;
    hook->run_(hook->owner_);
  }

  void (*run_)(void*);
  void* owner_;
  napi_env env_ = nullptr;
  bool added_ = false;
};

}  // namespace mcr
