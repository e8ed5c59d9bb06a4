#include "a2w/tasks/mujoco_boundary.h"

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>

#include "a2w/env/error.h"

namespace a2w::tasks {
namespace {

// The jump target of the innermost guarded call on this thread (null outside any).
thread_local std::jmp_buf* tl_jump = nullptr;
thread_local char tl_message[1024];

std::mutex g_warn_mutex;
std::deque<std::string> g_warnings;
long long g_warning_count = 0;

void on_error(const char* msg) {
  std::snprintf(tl_message, sizeof(tl_message), "%s", msg ? msg : "(no message)");
  if (tl_jump) std::longjmp(*tl_jump, 1);
  // Outside a guarded call there is no safe way back into C++: fail loudly instead of MuJoCo's stdin wait.
  std::fprintf(stderr, "a2w: fatal MuJoCo error outside a guarded call: %s\n", tl_message);
  std::abort();
}

void on_warning(const char* msg) {
  std::lock_guard<std::mutex> lock(g_warn_mutex);
  ++g_warning_count;
  g_warnings.emplace_back(msg ? msg : "");
  if (g_warnings.size() > 32) g_warnings.pop_front();
}

// setjmp lives in this frame, which owns nothing with a destructor; returns false after a MuJoCo error.
bool run_with_jump(void (*fn)(void*), void* ctx) {
  std::jmp_buf buf;
  std::jmp_buf* const outer = tl_jump;
  if (setjmp(buf) != 0) {
    tl_jump = outer;
    return false;
  }
  tl_jump = &buf;
  fn(ctx);
  tl_jump = outer;
  return true;
}

}  // namespace

void install_mujoco_error_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    mju_user_error = &on_error;
    mju_user_warning = &on_warning;
  });
}

void guarded_mujoco_call(const char* what, void (*fn)(void* ctx), void* ctx) {
  install_mujoco_error_handlers();
  if (!run_with_jump(fn, ctx)) throw Error(std::string(what) + ": MuJoCo error: " + tl_message);
}

mjModel* load_model_from_xml(const std::string& xml, const std::string& what) {
  install_mujoco_error_handlers();
  // mjVFS holds 2000 fixed-size names (about 2 MB): keep it off the stack.
  auto vfs = std::make_unique<mjVFS>();
  mj_defaultVFS(vfs.get());
  const char* name = "a2w_scene.xml";
  if (mj_makeEmptyFileVFS(vfs.get(), name, static_cast<int>(xml.size())) != 0)
    throw Error(what + ": could not create the in-memory MJCF file");
  const int idx = mj_findFileVFS(vfs.get(), name);
  std::memcpy(vfs->filedata[idx], xml.data(), xml.size());
  struct Ctx {
    const mjVFS* vfs;
    const char* name;
    char error[1024];
    mjModel* model;
  } ctx{vfs.get(), name, {0}, nullptr};
  bool ok = true;
  try {
    guarded_mujoco_call(
        "mj_loadXML",
        [](void* p) {
          auto* c = static_cast<Ctx*>(p);
          c->model = mj_loadXML(c->name, c->vfs, c->error, sizeof(c->error));
        },
        &ctx);
  } catch (...) {
    ok = false;
  }
  mj_deleteVFS(vfs.get());
  if (!ok) throw Error(what + ": MuJoCo error while compiling the scene: " + tl_message);
  if (!ctx.model) throw Error(what + ": MuJoCo could not compile the scene: " + std::string(ctx.error));
  return ctx.model;
}

mjData* guarded_make_data(const mjModel* m) {
  struct Ctx {
    const mjModel* m;
    mjData* d;
  } ctx{m, nullptr};
  guarded_mujoco_call(
      "mj_makeData", [](void* p) { static_cast<Ctx*>(p)->d = mj_makeData(static_cast<Ctx*>(p)->m); }, &ctx);
  if (!ctx.d) throw Error("mj_makeData: MuJoCo could not allocate the simulation data");
  return ctx.d;
}

void guarded_forward(const mjModel* m, mjData* d) {
  struct Ctx {
    const mjModel* m;
    mjData* d;
  } ctx{m, d};
  guarded_mujoco_call(
      "mj_forward", [](void* p) { mj_forward(static_cast<Ctx*>(p)->m, static_cast<Ctx*>(p)->d); }, &ctx);
}

std::vector<std::string> recent_mujoco_warnings() {
  std::lock_guard<std::mutex> lock(g_warn_mutex);
  return {g_warnings.begin(), g_warnings.end()};
}

long long mujoco_warning_count() {
  std::lock_guard<std::mutex> lock(g_warn_mutex);
  return g_warning_count;
}

}  // namespace a2w::tasks
