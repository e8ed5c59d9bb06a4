#pragma once
// The task state a world model predicts and a task judges: one fixed-layout vector for every task, so one
// model serves many tasks (absent parts are masked), and the judge that turns a predicted state into the
// task's own success and reward.
//
// Layout of the state vector (f32[kStateDim]; positions in metres, world frame; quaternions w x y z):
//   [ 0,  7)  joint_states      arm joint angles (rad)
//   [ 7,  9)  gripper_states    finger positions (m)
//   [ 9, 12)  ee_pos            tool centre point
//   [12, 15)  ee_ori            tool orientation, axis-angle (rad)
//   [15, 29)  objects           up to kStateObjects task objects in task-file order, 7 each (pos, quat)
//   [29, 31)  fixture joints    up to kStateFixtureJoints fixture joints (drawer travel, button travel)
//   [31]      unused (0)
// The mask (same shape) is 1 where the task has that entry, 0 where it is padding.
//
// A physics task reports the state after every step in info["state/vector"] and info["state/mask"], so
// recorded datasets carry it as labels (data/demo_N/state/vector).

#include <cstdint>
#include <memory>
#include <span>

namespace a2w::env {

inline constexpr int kStateDim = 32;
inline constexpr int kStateObjects = 2;
inline constexpr int kStateFixtureJoints = 2;
inline constexpr int kStateJoints = 0, kStateGripper = 7, kStateEePos = 9, kStateEeOri = 12, kStateObjectsAt = 15,
                     kStateFixturesAt = 29;

struct Judgement {
  bool success = false;  // the task's success predicate, including its held(k, ...) counters
  double reward = 0.0;   // the task's dense reward
};

// Judges a sequence of states of one episode (held(k, ...) needs the history). Made by a JudgedEnv from its
// current episode, so the parts a state vector does not carry (fixture placement, colours) come from there.
class StateJudge {
 public:
  virtual ~StateJudge() = default;
  // Starts judging a new sequence (counters to zero).
  virtual void restart() = 0;
  // Judges the next state (f32[kStateDim], layout above).
  virtual Judgement judge(std::span<const float> state) = 0;
};

// An env whose episodes can be judged from predicted states: the physics tasks. A2World-sim reaches it
// through its initial-state source env's unwrapped().
class JudgedEnv {
 public:
  virtual ~JudgedEnv() = default;
  // A judge for the episode the env is in now (call after reset()).
  virtual std::unique_ptr<StateJudge> make_state_judge() const = 0;
};

}  // namespace a2w::env
