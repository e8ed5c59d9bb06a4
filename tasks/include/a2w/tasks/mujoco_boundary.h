#pragma once
// The boundary between a2w and MuJoCo 2.2.2's C error handling.
//
// MuJoCo reports fatal errors through mju_user_error; its default prints "Press Enter to exit", waits on
// stdin and exits, which hangs a CLI or CI run. install_mujoco_error_handlers() replaces it (and the warning
// hook) before the first MuJoCo call. A C++ exception must not unwind through MuJoCo's C frames, so the
// handler longjmps back to the nearest guarded call below (entered with setjmp in a frame without
// destructors), and that call throws a2w::Error carrying MuJoCo's message. An error outside any guarded call
// aborts with the message printed (never a hang).
//
// Warnings are recorded, not printed: the last few are available for diagnostics.

#include <mujoco/mujoco.h>

#include <string>
#include <vector>

namespace a2w::tasks {

// Idempotent and thread safe; every function of a2w::tasks that touches MuJoCo calls it first.
void install_mujoco_error_handlers();

// Runs fn(ctx) and turns a MuJoCo error raised inside it into a2w::Error("<what>: <MuJoCo's message>").
// fn must only call MuJoCo and touch plain data: its frame is skipped by longjmp on error, so it must own
// nothing with a destructor.
void guarded_mujoco_call(const char* what, void (*fn)(void* ctx), void* ctx);

// Guarded wrappers of the MuJoCo calls a2w makes.
// Compiles MJCF text (through an in-memory VFS); throws a2w::Error("<what>: <parser message>").
mjModel* load_model_from_xml(const std::string& xml, const std::string& what);
mjData* guarded_make_data(const mjModel* m);
void guarded_forward(const mjModel* m, mjData* d);

// MuJoCo warnings seen since start-up in this process (the most recent 32), oldest first, and their total.
std::vector<std::string> recent_mujoco_warnings();
long long mujoco_warning_count();

}  // namespace a2w::tasks
