#include "a2w/wm/config.h"

#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "a2w/env/error.h"

namespace a2w::wm {

namespace {

// One row per field: its name in a checkpoint or an override, how to read it and how to write it. Kept as one
// table so to_dict, from_dict and the "known fields" list in errors never disagree.
struct Field {
  const char* name;
  std::function<env::Value(const WorldModelConfig&)> get;
  std::function<void(WorldModelConfig&, const env::Value&)> set;
};

env::List to_list(const std::vector<std::string>& v) {
  env::List l;
  for (const auto& s : v) l.emplace_back(s);
  return l;
}

std::vector<std::string> to_strings(const env::Value& v, const char* field) {
  if (!v.is_list())
    throw InvalidArgument(std::string("WorldModelConfig.") + field + ": expected a list of strings, got " +
                          describe(v));
  std::vector<std::string> out;
  for (const auto& item : v.as_list()) {
    if (!item.is_string())
      throw InvalidArgument(std::string("WorldModelConfig.") + field +
                            ": expected a list of strings, got an item " + describe(item));
    out.push_back(item.as_string());
  }
  return out;
}

int to_int(const env::Value& v, const char* field) {
  if (!v.is_number())
    throw InvalidArgument(std::string("WorldModelConfig.") + field + ": expected an integer, got " +
                          describe(v));
  const std::int64_t i = v.as_int();
  if (i < INT32_MIN || i > INT32_MAX)
    throw InvalidArgument(std::string("WorldModelConfig.") + field + ": " + std::to_string(i) +
                          " does not fit an int");
  return static_cast<int>(i);
}

double to_double(const env::Value& v, const char* field) {
  if (!v.is_number())
    throw InvalidArgument(std::string("WorldModelConfig.") + field + ": expected a number, got " +
                          describe(v));
  return v.as_double();
}

#define A2W_INT(f)                                                                                    \
  Field {                                                                                             \
#f, [](const WorldModelConfig& c) { return env::Value(c.f); }, [](WorldModelConfig & c,           \
                                                                      const env::Value&               \
                                                                          v) { c.f = to_int(v, #f); } \
  }
#define A2W_DOUBLE(f)                                                                                    \
  Field {                                                                                                \
#f, [](const WorldModelConfig& c) { return env::Value(c.f); }, [](WorldModelConfig & c,              \
                                                                      const env::Value&                  \
                                                                          v) { c.f = to_double(v, #f); } \
  }

bool to_bool(const env::Value& v, const char* field) {
  if (!v.is_bool())
    throw InvalidArgument(std::string("WorldModelConfig.") + field + ": expected true or false, got " +
                          describe(v));
  return v.as_bool();
}
#define A2W_BOOL(f)                                                                                    \
  Field {                                                                                              \
#f, [](const WorldModelConfig& c) { return env::Value(c.f); }, [](WorldModelConfig & c,            \
                                                                      const env::Value&                \
                                                                          v) { c.f = to_bool(v, #f); } \
  }

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      A2W_INT(image_size),
      A2W_INT(views),
      Field{"view_keys", [](const WorldModelConfig& c) { return env::Value(to_list(c.view_keys)); },
            [](WorldModelConfig& c, const env::Value& v) { c.view_keys = to_strings(v, "view_keys"); }},
      A2W_INT(context_frames),
      A2W_BOOL(anchor_frame),
      A2W_INT(patch),
      A2W_INT(width),
      A2W_INT(depth),
      A2W_INT(heads),
      A2W_INT(mlp_ratio),
      A2W_INT(action_dim),
      A2W_INT(action_horizon),
      Field{"tasks", [](const WorldModelConfig& c) { return env::Value(to_list(c.tasks)); },
            [](WorldModelConfig& c, const env::Value& v) { c.tasks = to_strings(v, "tasks"); }},
      A2W_INT(task_slots),
      A2W_INT(state_dim),
      A2W_INT(head_token_dim),
      A2W_BOOL(state_input),
      A2W_BOOL(state_self_forcing),
      A2W_DOUBLE(state_input_noise),
      A2W_DOUBLE(sigma_data),
      A2W_DOUBLE(p_mean),
      A2W_DOUBLE(p_std),
      A2W_DOUBLE(sigma_min),
      A2W_DOUBLE(sigma_max),
      A2W_DOUBLE(rho),
      A2W_INT(sampling_steps),
      Field{"sampler", [](const WorldModelConfig& c) { return env::Value(c.sampler); },
            [](WorldModelConfig& c, const env::Value& v) {
              if (!v.is_string())
                throw InvalidArgument("WorldModelConfig.sampler: expected \"euler\" or \"heun\", got " +
                                      describe(v));
              c.sampler = v.as_string();
            }},
      A2W_DOUBLE(context_noise_train_max),
      A2W_DOUBLE(context_noise_infer),
      A2W_DOUBLE(train_sigma_max),
      A2W_DOUBLE(moving_pixel_weight),
      A2W_INT(moving_pixel_threshold),
      A2W_DOUBLE(self_forcing_prob),
      A2W_INT(self_forcing_warmup),
      A2W_INT(self_forcing_steps),
      A2W_DOUBLE(state_loss_weight),
      A2W_DOUBLE(success_loss_weight),
      A2W_DOUBLE(reward_loss_weight),
      A2W_DOUBLE(ema_decay),
  };
  return table;
}

#undef A2W_INT
#undef A2W_DOUBLE
#undef A2W_BOOL

std::string known_fields() {
  std::string s;
  for (const auto& f : fields()) s += (s.empty() ? "" : ", ") + std::string(f.name);
  return s;
}

[[noreturn]] void bad(const std::string& what) {
  throw InvalidArgument("WorldModelConfig: " + what);
}

}  // namespace

WorldModelConfig WorldModelConfig::preset(const std::string& name) {
  WorldModelConfig c;  // the defaults are the "cpu" preset
  if (name == "cpu") return c;
  if (name == "tiny") {
    // A training step in a few milliseconds: the unit tests' model.
    c.image_size = 16;
    c.patch = 4;
    c.width = 64;
    c.depth = 2;
    c.heads = 2;
    c.mlp_ratio = 2;
    c.head_token_dim = 4;
    c.task_slots = 8;
    c.self_forcing_warmup = 20;
    return c;
  }
  if (name == "gpu") {
    // The same recipe, 4x wider (16x the parameters); 4-pixel patches would be the next step up.
    c.width = 1024;
    c.heads = 16;
    return c;
  }
  throw InvalidArgument("WorldModelConfig::preset: unknown preset '" + name + "'; expected tiny, cpu or gpu");
}

void WorldModelConfig::validate() const {
  auto positive = [](int v, const char* f) {
    if (v <= 0) bad(std::string(f) + " must be positive, got " + std::to_string(v));
  };
  positive(image_size, "image_size");
  positive(views, "views");
  positive(context_frames, "context_frames");
  positive(patch, "patch");
  positive(width, "width");
  positive(depth, "depth");
  positive(heads, "heads");
  positive(mlp_ratio, "mlp_ratio");
  positive(action_dim, "action_dim");
  positive(action_horizon, "action_horizon");
  positive(task_slots, "task_slots");
  positive(state_dim, "state_dim");
  positive(head_token_dim, "head_token_dim");
  positive(sampling_steps, "sampling_steps");
  positive(self_forcing_steps, "self_forcing_steps");
  if (image_size % patch != 0)
    bad("patch " + std::to_string(patch) + " must divide image_size " + std::to_string(image_size));
  if (static_cast<int>(view_keys.size()) != views)
    bad("views is " + std::to_string(views) + " but view_keys names " + std::to_string(view_keys.size()));
  if (width % heads != 0)
    bad("heads " + std::to_string(heads) + " must divide width " + std::to_string(width));
  if (static_cast<int>(tasks.size()) > task_slots)
    bad(std::to_string(tasks.size()) + " tasks do not fit task_slots " + std::to_string(task_slots));
  std::set<std::string> seen;
  for (const auto& t : tasks)
    if (!seen.insert(t).second) bad("task '" + t + "' appears twice in tasks");
  if (!(sigma_data > 0)) bad("sigma_data must be positive");
  if (!(sigma_min > 0 && sigma_min < sigma_max)) bad("expected 0 < sigma_min < sigma_max");
  if (!(train_sigma_max > sigma_min)) bad("expected train_sigma_max > sigma_min");
  if (!(rho > 0)) bad("rho must be positive");
  if (!(p_std >= 0)) bad("p_std must not be negative");
  if (sampler != "euler" && sampler != "heun")
    bad("sampler must be \"euler\" or \"heun\", got \"" + sampler + "\"");
  if (!(context_noise_train_max >= 0 && context_noise_infer >= 0))
    bad("context noise levels must not be negative");
  if (!(moving_pixel_weight >= 0)) bad("moving_pixel_weight must not be negative");
  if (moving_pixel_threshold < 0 || moving_pixel_threshold > 255)
    bad("moving_pixel_threshold must be in [0, 255]");
  if (!(self_forcing_prob >= 0 && self_forcing_prob <= 1)) bad("self_forcing_prob must be in [0, 1]");
  if (self_forcing_warmup < 0) bad("self_forcing_warmup must not be negative");
  if (!(state_loss_weight >= 0 && success_loss_weight >= 0 && reward_loss_weight >= 0))
    bad("loss weights must not be negative");
  if (!(ema_decay >= 0 && ema_decay < 1)) bad("ema_decay must be in [0, 1)");
  if (!(state_input_noise >= 0)) bad("state_input_noise must not be negative");
}

env::Dict WorldModelConfig::to_dict() const {
  env::Dict d;
  for (const auto& f : fields()) d[f.name] = f.get(*this);
  return d;
}

WorldModelConfig WorldModelConfig::from_dict(const env::Dict& d) {
  WorldModelConfig c;
  // Checkpoints from before the current state was an input predict the absolute state.
  if (!d.count("state_input")) c.state_input = false;
  for (const auto& [key, value] : d) {
    const auto& table = fields();
    auto it = std::find_if(table.begin(), table.end(), [&](const Field& f) { return key == f.name; });
    if (it == table.end()) bad("unknown field '" + key + "'; expected one of: " + known_fields());
    it->set(c, value);
  }
  return c;
}

}  // namespace a2w::wm
