#include "a2w/wm/register_sim.h"

#include <filesystem>

#include "a2w/env/registry.h"
#include "a2w/wm/device.h"
#include "a2w/wm/world_model.h"
#include "a2w/wm/world_model_env.h"

namespace a2w::wm {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSimSuffix = "-sim/";

// The options of a sim id, read and checked before anything is loaded.
struct SimSettings {
  std::string checkpoint;
  std::string device = "cpu";
  TerminateOn terminate_on = TerminateOn::kPredicate;
  double success_threshold = 0.5;
  std::int64_t horizon = 0;
  std::string source;  // empty: the physics task
  std::optional<env::Dict> source_options;
  std::optional<std::int64_t> image_size;
  std::string perturbation;  // the source's variant (a task's perturbation)
};

SimSettings parse_settings(const std::string& sim_id, const env::Dict& options) {
  static const char* const kKeys[] = {"checkpoint",        "device",     "terminate_on",
                                      "success_threshold", "horizon",    "source",
                                      "source_options",    "image_size", "perturbation"};
  for (const auto& [key, value] : options) {
    bool known = false;
    for (const char* k : kKeys) known = known || key == k;
    if (!known) {
      std::string list;
      for (const char* k : kKeys) list += (list.empty() ? "" : ", ") + std::string(k);
      throw InvalidArgument(sim_id + ": unknown option '" + key + "'; A2World-sim takes " + list);
    }
  }
  SimSettings s;
  s.checkpoint = env::get_or(options, "checkpoint", "");
  s.device = env::get_or(options, "device", "cpu");
  s.terminate_on = parse_terminate_on(env::get_or(options, "terminate_on", "predicate"));
  s.success_threshold = env::get_or(options, "success_threshold", 0.5);
  s.horizon = env::get_or(options, "horizon", std::int64_t{0});
  if (s.horizon < 0)
    throw InvalidArgument(sim_id + ": expected horizon >= 0, got " + std::to_string(s.horizon));
  s.source = env::get_or(options, "source", "");
  if (auto it = options.find("source_options"); it != options.end()) s.source_options = it->second.as_dict();
  if (auto it = options.find("image_size"); it != options.end()) s.image_size = it->second.as_int();
  s.perturbation = env::get_or(options, "perturbation", "");
  return s;
}

// The checkpoint to load: the option, else the shipped default; a clear error when there is none.
std::string checkpoint_path(const std::string& sim_id, const std::string& given) {
  const std::string how =
      "expected an a2w checkpoint (`a2w wm adapt` writes one) or a TorchScript module "
      "(docs/worldmodel.md, \"Bring your own model\"); pass it as option \"checkpoint\" (a2w rollout "
      "--checkpoint "
      "FILE)";
  std::error_code ec;
  if (!given.empty()) {
    if (!fs::is_regular_file(given, ec))
      throw InvalidArgument(sim_id + ": checkpoint '" + given + "' does not exist; " + how);
    return given;
  }
  const std::string fallback = default_checkpoint();
  if (!fs::is_regular_file(fallback, ec))
    throw InvalidArgument(sim_id + ": no checkpoint given, and the shipped default " + fallback +
                          " is not there (train it with scripts/train_default.sh); " + how);
  return fallback;
}

// The model and env options of a task's sim from its options; num_envs and autoreset_mode left at defaults.
struct Prepared {
  std::shared_ptr<WorldModel> model;
  WorldModelEnvOptions options;
};

Prepared prepare(std::string_view task, const env::Dict& options) {
  const std::string physics = is_sim_id(task) ? physics_id_of(task) : std::string(task);
  const std::string sim_id = sim_id_of(physics);
  const SimSettings s = parse_settings(sim_id, options);
  const torch::Device device = parse_device(s.device, sim_id);
  const std::string path = checkpoint_path(sim_id, s.checkpoint);
  std::shared_ptr<WorldModel> model = load_world_model(path, device);
  const int size = model->config().image_size;
  if (s.image_size && *s.image_size != size)
    throw InvalidArgument(sim_id + ": image_size " + std::to_string(*s.image_size) + " asked for, but " +
                          path + " imagines " + std::to_string(size) + "x" + std::to_string(size) +
                          " frames; leave image_size out or use a checkpoint trained at that size");
  WorldModelEnvOptions o;
  o.task = physics;
  o.id = sim_id;
  o.horizon = s.horizon;
  o.terminate_on = s.terminate_on;
  o.success_threshold = s.success_threshold;
  const std::string source = s.source.empty() ? physics : s.source;
  env::Dict source_options = s.source_options ? *s.source_options : env::Dict{{"image_size", size}};
  if (!s.perturbation.empty()) source_options["perturbation"] = s.perturbation;
  o.source = [source, source_options] { return a2w::make(source, source_options); };
  return {std::move(model), std::move(o)};
}

}  // namespace

std::string sim_id_of(std::string_view physics_id) {
  const auto slash = physics_id.find('/');
  if (slash == std::string_view::npos || slash == 0)
    throw InvalidArgument("A2World-sim: expected a task id like a2w/LiftCube-v0, got '" +
                          std::string(physics_id) + "'");
  return std::string(physics_id.substr(0, slash)) + kSimSuffix + std::string(physics_id.substr(slash + 1));
}

bool is_sim_id(std::string_view id) {
  const auto slash = id.find('/');
  return slash != std::string_view::npos && slash >= 4 && id.substr(slash - 4, 5) == kSimSuffix;
}

std::string physics_id_of(std::string_view sim_id) {
  if (!is_sim_id(sim_id))
    throw InvalidArgument("A2World-sim: expected a sim id like a2w-sim/LiftCube-v0, got '" +
                          std::string(sim_id) + "'");
  const auto slash = sim_id.find('/');
  return std::string(sim_id.substr(0, slash - 4)) + "/" + std::string(sim_id.substr(slash + 1));
}

std::string default_checkpoint() {
#ifdef A2W_DEFAULT_CHECKPOINT
  return A2W_DEFAULT_CHECKPOINT;
#else
  // worldmodel/src/register_sim.cpp -> <source tree>/models/a2world-default.a2wm
  return (fs::path(__FILE__).parent_path().parent_path().parent_path() / "models" / "a2world-default.a2wm")
      .string();
#endif
}

std::shared_ptr<WorldModel> load_sim_model(const std::string& path, const std::string& device) {
  const std::string what = "A2World-sim";
  return load_world_model(checkpoint_path(what, path), parse_device(device, what));
}

void register_sim_envs() {
  for (const auto& id : a2w::registered_ids()) {
    if (is_sim_id(id) || !(id.rfind("a2w/", 0) == 0 || id.rfind("user/", 0) == 0)) continue;
    EnvRegistration reg;
    reg.id = sim_id_of(id);
    reg.description = "A2World-sim (imagined): " + a2w::registration(id).description;
    reg.factory = [id](const env::Dict& options) -> env::EnvPtr {
      Prepared p = prepare(id, options);
      return std::make_unique<WorldModelEnv>(std::move(p.model), std::move(p.options));
    };
    register_env(std::move(reg));
  }
}

std::unique_ptr<env::VectorEnv> make_sim_vector_env(std::string_view task, const env::Dict& options,
                                                    int num_envs, env::AutoresetMode autoreset_mode) {
  Prepared p = prepare(task, options);
  p.options.num_envs = num_envs;
  p.options.autoreset_mode = autoreset_mode;
  return std::make_unique<WorldModelVectorEnv>(std::move(p.model), std::move(p.options));
}

}  // namespace a2w::wm
