#pragma once
// A2World-sim in the registry: every physics task "a2w/<Task>-v0" gets an imagined twin "a2w-sim/<Task>-v0"
// (a user task "user/<Task>-v0" gets "user-sim/<Task>-v0"), so any code that makes envs by id runs in the
// world model too:
//
//   a2w::tasks::register_tasks();            // first: the physics tasks the sim ids mirror
//   a2w::wm::register_sim_envs();
//   auto env = a2w::make("a2w-sim/LiftCube-v0", {{"checkpoint", "models/a2world-default.a2wm"}});
//
// Options of the sim ids (and of make_sim_vector_env):
//   checkpoint         path of an a2w checkpoint or a TorchScript module (torchscript_world_model.h);
//                      default: the shipped default_checkpoint() when that file exists, else an error asking
//                      for one
//   device             "cpu" (default) or "cuda" (or "cuda:N")
//   terminate_on       "predicate" (default), "head", "either", "both" (world_model_env.h)
//   success_threshold  on the success head's probability, default 0.5
//   horizon            steps before truncation, default: the task's
//   source             id of the initial-state source env, default: the physics task
//   source_options     a Dict for making the source, default {"image_size": the model's}
//   image_size         accepted only when it equals the model's (the model imagines one size)
//   perturbation       a variant of the task (its perturbation of that name, tasks/task_file.h) as the
//                      source: the first frames are the variant's, and its action_noise is applied to the
//                      imagined episode's actions too
// Unknown options throw InvalidArgument listing these.
//
// Nothing here includes LibTorch: the CLI and the benchmarks build A2World-sim through these functions.

#include <memory>
#include <string>
#include <string_view>

#include "a2w/env/value.h"
#include "a2w/env/vector_env.h"

namespace a2w::wm {

// Registers a sim id for every registered "a2w/" and "user/" id (call after tasks::register_tasks(); again
// after new tasks were registered). Idempotent.
void register_sim_envs();

// "a2w/LiftCube-v0" -> "a2w-sim/LiftCube-v0", "user/Mine-v0" -> "user-sim/Mine-v0"; the reverse; whether an
// id is a sim id. physics_id_of throws InvalidArgument for an id without a "-sim/" namespace.
std::string sim_id_of(std::string_view physics_id);
std::string physics_id_of(std::string_view sim_id);
bool is_sim_id(std::string_view id);

// The shipped default checkpoint: models/a2world-default.a2wm under the source tree (it may not exist).
std::string default_checkpoint();

class WorldModel;
// load_world_model (world_model.h: an a2w checkpoint or a TorchScript module, by content) on `device` ("cpu",
// "cuda", "cuda:N"), with A2World-sim's errors: an empty path means default_checkpoint(); a missing file or
// a device this LibTorch lacks throws InvalidArgument naming it and what to do.
std::shared_ptr<WorldModel> load_sim_model(const std::string& path, const std::string& device = "cpu");

// A batched A2World-sim env of a task (a physics id or its sim id): loads the checkpoint named by
// options["checkpoint"] (or the default) on options["device"], then builds a WorldModelVectorEnv. Throws
// InvalidArgument for a missing checkpoint, naming the path and how to get one.
std::unique_ptr<env::VectorEnv> make_sim_vector_env(std::string_view task, const env::Dict& options,
                                                    int num_envs, env::AutoresetMode autoreset_mode);

}  // namespace a2w::wm
