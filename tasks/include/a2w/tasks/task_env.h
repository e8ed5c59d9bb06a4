#pragma once
// TaskEnv: the one interpreter of task files, an a2w::env::Env over MuJoCo.
//
//   auto env = a2w::make("a2w/LiftCube-v0", {{"image_size", 64}});
//
// Observations (the conventions table of DESIGN.md):
//   agentview_rgb, eye_in_hand_rgb   uint8 [H, W, 3], row 0 is the top of the image (per enabled camera)
//   agentview_depth, ...             float32 [H, W], metres along the camera axis (with "depth": true)
//   ee_pos                           float32 [3], tool centre point, world frame (m)
//   ee_ori                           float32 [3], its orientation as an axis-angle vector (rad)
//   gripper_states                   float32 [2], finger positions (m), 0 closed .. 0.04 open each
//   joint_states                     float32 [7], arm joint angles (rad)
//   instruction                      text, drawn per episode from the task's templates
// Action: float32 [7] = [dx, dy, dz, droll, dpitch, dyaw, gripper] in [-1, 1] (controller.h); values outside
// [-1, 1] are clipped; a wrong dtype or shape, or NaN/inf, throws InvalidArgument.
//
// Options (a2w::make(id, options)):
//   image_size (int, 128)  image_width / image_height (override one side)
//   cameras (list of names, default ["agentview", "eye_in_hand"]; [] = state only, no renderer)
//   render (bool, true: false = state only)   depth (bool, false)   shadows (bool, false)
//   erase (bool, false): the cameras do not draw the robot or the task's objects (table, fixtures and scene
//          stay), for the "erase" baseline of `a2w wm eval`; physics, state and success are unchanged
//   horizon (int, the task's)
//   perturbation (string): run the variant of the task that its perturbation of this name declares
//          (task_file.h); spec().metadata says which ("perturbation") and its "action_noise"
// Unknown keys throw InvalidArgument listing the valid ones.
//
// step(): 20 Hz. The controller runs once, then `substeps()` physics steps (arm gravity compensated before
// each), then the cameras render once, the success predicate and the reward are evaluated. terminated when
// the success predicate holds; truncated at the horizon or when the physics diverged (MuJoCo reset its data
// on a bad acceleration, or a position went NaN; info "physics_diverged" = true).
// Step info: "success" and "is_success" (bool), "physics_diverged" (bool), and privileged state as arrays:
// "state/object_poses" f32 [n_objects, 7] (position + quaternion w x y z, task-file order),
// "state/fixture_joints" f32 [n_fixture_joints] (drawers and buttons in task-file order), "state/tcp_pose"
// f32 [7], and the fixed-layout state every task shares (env/state.h), "state/vector" f32 [32] with
// "state/mask" f32 [32]: what a world model learns to predict and what make_state_judge() judges. Names are
// in spec().metadata: "object_names", "fixture_joint_names".
//
// reset(seed): every random draw comes from a2w::env::Rng(seed) in a fixed order (instruction template,
// object colours, fixture poses, object poses), so one seed gives a bitwise-identical initial state and
// images. Without a seed, one is drawn from the env's own stream.

#include <mujoco/mujoco.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "a2w/env/action_noise.h"
#include "a2w/env/env.h"
#include "a2w/env/rng.h"
#include "a2w/env/state.h"
#include "a2w/tasks/compiled_task.h"
#include "a2w/tasks/controller.h"
#include "a2w/tasks/predicate.h"
#include "a2w/tasks/reward.h"

namespace a2w::tasks {

class Renderer;

struct TaskEnvOptions {
  int width = 128;
  int height = 128;
  std::vector<std::string> cameras{"agentview", "eye_in_hand"};
  bool depth = false;
  bool shadows = false;
  bool erase = false;        // cameras draw neither the robot nor the task's objects
  int horizon = 0;           // 0: the task's
  std::string perturbation;  // one of the task's perturbations (task_file.h); "": the task as written

  // Reads the options Dict of a2w::make; throws InvalidArgument for unknown keys or bad values.
  static TaskEnvOptions from_dict(const env::Dict& options);
};

class TaskEnv final : public env::Env, public env::JudgedEnv {
 public:
  TaskEnv(const TaskDef& task, const TaskEnvOptions& options, std::string id);
  ~TaskEnv() override;
  TaskEnv(const TaskEnv&) = delete;
  TaskEnv& operator=(const TaskEnv&) = delete;

  const env::EnvSpec& spec() const override { return spec_; }
  env::ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt,
                         const env::Dict& options = {}) override;
  env::StepResult step(const env::Array& action) override;
  void close() override;
  // The enabled cameras side by side (uint8 [H, W * n, 3]); with no cameras, agentview at the configured
  // size.
  env::Array render() override;

  // ---- Privileged access (benchmarks, scripted experts, tests) ----
  const mjModel* model() const { return task_->model.get(); }
  mjData* data() { return data_; }
  const mjData* data() const { return data_; }
  int substeps() const { return task_->substeps; }
  int agentview_camera_id() const { return task_->agentview_camera; }
  int eye_in_hand_camera_id() const { return task_->eye_in_hand_camera; }
  const TaskDef& task() const { return task_->def; }
  const CompiledTask& compiled() const { return *task_; }
  const TaskEnvOptions& options() const { return options_; }
  SceneView view() const { return SceneView(*task_, data_); }
  // Seed and number (0, 1, ...) of the current episode, control steps taken in it, whether it is running.
  std::uint64_t episode_seed() const { return episode_seed_; }
  std::int64_t episode_index() const { return episode_index_; }
  int elapsed_steps() const { return elapsed_; }
  bool episode_running() const { return running_; }
  const std::string& instruction() const { return instruction_; }
  // Colour drawn for each object this episode (index into its `colors`).
  const std::vector<int>& object_colors() const { return colors_; }
  // The success predicate's value on the current state, without advancing its held() counters.
  bool success_now() const;
  // The state vector (env/state.h) of the current state, and its mask.
  void state_vector(float* out, float* mask) const;
  // A judge of predicted states for the current episode: it keeps a copy of this episode's data (fixture
  // placement), writes each state's joints and object poses into it, runs mj_forward and evaluates the
  // task's own success predicate (with its held() counters) and reward.
  std::unique_ptr<env::StateJudge> make_state_judge() const override;

  // Test-only fault injection: the next step() sees a broken simulation.
  enum class Fault {
    kHugeForce,  // 1e12 N on the first object (or the hand): MuJoCo's bad-acceleration reset
    kNanQpos,    // NaN written into a joint position after the physics steps
  };
  void inject_fault(Fault fault) { fault_ = fault; }

 private:
  void build_spec(const std::string& id);
  // A circle on the table kept clear of objects placed later (fixture footprints first).
  struct Footprint {
    double x, y, r;
  };
  void sample_initial_state(env::Rng& rng);
  // Draws object i's pose from `rng` (up to `tries` draws) until it clears `taken`, writes it into the data
  // and adds its footprint; false when no draw fit.
  bool place_object(env::Rng& rng, std::size_t i, int tries, std::vector<Footprint>& taken,
                    std::size_t fixtures_taken);
  bool run_physics(int substeps);  // false: diverged
  env::Dict observe();
  env::Dict state_info() const;
  void render_cameras(env::Dict& obs);
  void place_camera();  // this episode's camera jitter
  void ensure_renderer();

  std::shared_ptr<const CompiledTask> task_;
  TaskEnvOptions options_;
  env::EnvSpec spec_;
  mjData* data_ = nullptr;
  std::unique_ptr<EndEffectorController> controller_;
  Predicate success_;
  Reward reward_;
  std::vector<int> held_;
  int horizon_ = 0;

  // Rendering: a private copy of the model whose only per-episode change is the objects' colours (the
  // shared model stays constant), and one renderer (EGL context) per env, created on first use.
  mjModel* render_model_ = nullptr;
  std::unique_ptr<Renderer> renderer_;
  std::vector<int> camera_ids_;

  env::Rng stream_{0};  // draws episode seeds for reset() without a seed
  std::uint64_t episode_seed_ = 0;
  std::int64_t episode_index_ = -1;
  int elapsed_ = 0;
  bool running_ = false;
  bool closed_ = false;
  std::string instruction_;
  std::vector<int> colors_;
  std::optional<Fault> fault_;
  env::ActionNoise noise_;                 // the task's action_noise, drawn from the episode seed
  std::array<double, 3> camera_offset_{};  // this episode's camera jitter (m)
};

}  // namespace a2w::tasks
