#pragma once
// bench_bridge(): round trips through the bridge beside raw ZeroMQ carrying the same bytes, measured in the
// same run, because shared machines are noisy and only differences and ratios compare across them.
//
//   state step   RemoteEnv::step on an EnvServer (an env that returns a fixed state-only observation of a
//                task: ee_pos, ee_ori, gripper_states, joint_states, instruction)
//                  vs raw DEALER/ROUTER ping-pong of the same request and reply bytes
//   2 cameras    RemotePolicy::act on a PolicyServer: two 224x224 RGB views + state + instruction (about
//                301 KB) in, a (10, 7) action chunk out
//                  vs raw DEALER/ROUTER ping-pong of the same bytes
//   Python       the Python client package (a2w_bridge.RemotePolicy) on that PolicyServer with the same
//                observation, vs an OpenPI-style Python websocket round trip (python3-websockets on both
//                ends, openpi's msgpack dialect) with the same payload
//
// Client and server are threads of this process (Python: a child process) on loopback TCP. Each kind of
// round trip alternates with its baseline for `rounds` rounds of `count` round trips; p50 and p99 are over
// all of them. Targets (issue 5): 2-camera overhead over raw p50 <= 80 us, p50 <= 200 us, p99 <= 1 ms;
// Python client >= 5x faster than the websocket round trip.

#include <cstdint>
#include <string>

#include "a2w/env/value.h"

namespace a2w::bench {

struct BridgeBenchOptions {
  int count = 1000;  // round trips per measurement and round
  int rounds = 5;
  bool python = true;  // also the Python client and the websocket baseline (/usr/bin/python3)
  std::string python_exe = "/usr/bin/python3";
  bool progress = true;  // one line per measurement on stderr
};

struct Latency {
  double p50_us = 0, p99_us = 0, mean_us = 0;
  std::int64_t samples = 0;
};

struct BridgeBenchResult {
  std::string cpu;
  std::int64_t state_request_bytes = 0, state_reply_bytes = 0;
  std::int64_t camera_request_bytes = 0, camera_reply_bytes = 0;
  Latency raw_state, bridge_state;
  Latency raw_camera, bridge_camera;
  bool python_ran = false;
  std::string python_error;
  Latency python_bridge, python_websocket;

  double state_overhead_us() const { return bridge_state.p50_us - raw_state.p50_us; }
  double camera_overhead_us() const { return bridge_camera.p50_us - raw_camera.p50_us; }
  double python_speedup() const {
    return python_bridge.p50_us > 0 ? python_websocket.p50_us / python_bridge.p50_us : 0.0;
  }

  env::Dict to_dict() const;
  std::string to_text() const;
};

BridgeBenchResult bench_bridge(const BridgeBenchOptions& options);

}  // namespace a2w::bench
