#pragma once
// Fidelity of a world model on held-out recorded episodes: `a2w wm eval`.
//
// Open-loop replay, the way A2World-sim runs an episode: the model starts from the episode's first frames
// (the context is the first frame repeated, as after WorldModelEnv::reset), then is fed the episode's
// recorded actions one chunk at a time and its own imagined frames as context; nothing true enters after the
// start. At each horizon h (steps after the start) the imagined frames are scored against the recorded frame
// h:
//
//   psnr, ssim       whole frame, every view (image_metrics.h)
//   psnr_moving      only pixels that change in the true frames between the start and step h (some channel
//                    by more than the config's moving_pixel_threshold): the robot and what it moves. A blurry
//                    model gains whole-frame PSNR by erasing them, and loses here.
//   ee / object cm   the state head's tool-centre and first-object positions against the recorded state
//
// each beside two baselines that know nothing of the actions: copy-last (the start frame and start state:
// "nothing moves") and erase (the true frame h rendered by the physics task with the robot and the task's
// objects hidden: what a model that blurs the moving parts into the background would get at best). The
// erase frames come from replaying the episode in physics (same seed, same actions), which also reports
// whether the replay reproduces the recorded states (`replay_mismatch_steps` counts steps where it did not).
//
// Success: the task's own predicate judges every imagined state of the replay (env/state.h StateJudge, made
// by the physics task reset with the episode's seed); imagined success_once is compared with MuJoCo's on the
// same episode (the recorded success). The success head (p > 0.5 at any step) is reported as a second
// opinion. Every score is given for all episodes, and apart for MuJoCo successes and MuJoCo failures.

#include <cstdint>
#include <string>
#include <vector>

#include "a2w/env/array.h"
#include "a2w/env/value.h"
#include "a2w/wm/world_model.h"

namespace a2w::wm {

struct FidelityOptions {
  std::vector<std::string> data;   // held-out dataset folders (as `a2w collect` writes them) or .hdf5 files
  std::vector<std::string> tasks;  // only these task ids (empty: every task in the data)
  std::vector<int> horizons{1, 8, 32};
  std::int64_t episodes_per_task = 0;  // the first N episodes of each task (0: all)
  int batch_size = 32;                 // episodes imagined together (one forward pass per step)
  bool erase_baseline = true;          // false: skip the physics replay (no erase scores, no replay check)
  std::uint64_t seed = 0;              // sampling noise; episode k of the run uses episode_seed(seed, k, 0)
  std::string video;                   // mp4: true views above, imagined below, per episode (empty: none)
  int video_episodes = 3;              // the first episodes of the run go into the video
  int strip_horizon = 32;              // the strip: true / imagined agent view at 0, h/4, ..., h
  bool progress = true;
};

// Scores of one kind of frame (the model's or a baseline's) at one horizon.
struct FrameScores {
  double psnr = 0, ssim = 0, psnr_moving = 0;
};

struct HorizonScores {
  int horizon = 0;
  std::int64_t episodes = 0;            // episodes long enough to have frame `horizon`
  double moving_fraction = 0;           // of pixels, pooled
  FrameScores model, copy_last, erase;  // erase: NaN without erase_baseline
  double ee_error_cm = 0, ee_error_cm_copy_last = 0;
  double object_error_cm = 0, object_error_cm_copy_last = 0;  // NaN where no episode has an object
};

struct SuccessAgreement {
  std::int64_t episodes = 0;
  // counts[physics][imagined], each 0 = failure, 1 = success (imagined: the task's predicate)
  std::int64_t counts[2][2] = {{0, 0}, {0, 0}};
  double agreement = 0;       // the predicate's verdict equals MuJoCo's
  double head_agreement = 0;  // the success head's verdict equals MuJoCo's
};

// Scores over a set of episodes: all, MuJoCo successes, MuJoCo failures.
struct FidelityGroup {
  std::string name;
  std::int64_t episodes = 0;
  std::vector<HorizonScores> horizons;
  SuccessAgreement success;
};

struct FidelityReport {
  std::string model;  // what the caller names it (a path)
  std::vector<std::string> tasks;
  std::int64_t episodes = 0, imagined_steps = 0;
  std::int64_t replay_mismatch_steps = 0;  // physics replay states that differ from the recorded ones
  double seconds = 0;
  std::vector<FidelityGroup> groups;  // "all", "successes", "failures"
  // Per task, the success agreement over its episodes.
  std::vector<std::pair<std::string, SuccessAgreement>> per_task;
  // uint8 [2 H, n W, 3]: the first episode with strip_horizon steps, agent view, true frames above the
  // imagined ones at 0, h/4, h/2, 3h/4, h (empty when no episode is that long).
  env::Array strip;

  env::Dict to_dict() const;
  std::string to_text() const;
};

// Throws InvalidArgument when the data's frames are not the model's size, a horizon is not a positive
// multiple of the model's action_horizon, or no episode is found; NotFound for a missing path.
FidelityReport evaluate_fidelity(WorldModel& model, const FidelityOptions& options,
                                 std::string model_name = "");

}  // namespace a2w::wm
