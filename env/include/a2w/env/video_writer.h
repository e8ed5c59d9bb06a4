#pragma once
// Videos: VideoWriter encodes uint8 RGB frames to an H.264 mp4 by piping them to the `ffmpeg` program,
// and RecordVideo is a wrapper that records episodes of an env through its render().
//
//   VideoWriter video("out/run.mp4", 256, 128, 20.0);
//   video.write(env->render());    // uint8 [128, 256, 3]
//   video.close();                 // out/run.mp4 is complete and playable
//
// ffmpeg runs as a child process (no FFmpeg libraries are linked): `-f rawvideo -pix_fmt rgb24` in,
// libx264 with yuv420p and `-movflags +faststart` out, so browsers and the HTML reports play the file.
// yuv420p needs even sizes: an odd width or height is padded by one black column or row on the right or
// bottom. The file is written under a temp name and renamed by close(), so a final name always holds a
// complete video; an existing file of that name is replaced.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "a2w/env/array.h"
#include "a2w/env/wrapper.h"

namespace a2w::env {

// Images uint8 [H, W, 3] with the same H, concatenated left to right into [H, sum W, 3]: how a task shows
// all its cameras in one frame. Throws InvalidArgument for an empty list or an image of another dtype,
// rank, channel count or height (naming its index).
Array side_by_side(const std::vector<Array>& images);

class VideoWriter {
 public:
  // Starts ffmpeg (`ffmpeg` is looked up on PATH unless it contains a '/'). Throws InvalidArgument for a
  // size or fps that is not positive, a2w::Error when ffmpeg cannot be started (saying it is not installed
  // or not on PATH).
  VideoWriter(std::filesystem::path path, int width, int height, double fps, std::string ffmpeg = "ffmpeg");
  // Finishes the video like close() if still open, without throwing (errors go to stderr).
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Appends a frame: uint8 [height, width, 3], row 0 at the top. Throws InvalidArgument for another dtype
  // or shape, a2w::Error with ffmpeg's own message when ffmpeg has died.
  void write(const Array& frame);
  // Ends the stream, waits for ffmpeg and renames the file to path(). Throws a2w::Error with ffmpeg's
  // message when it exits non-zero, and when no frame was written (an mp4 without frames plays nowhere).
  // A second call does nothing.
  void close();

  bool is_open() const;
  std::int64_t frames() const;
  const std::filesystem::path& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct RecordVideoOptions {
  std::filesystem::path folder;            // created if missing
  std::string prefix = "rl-video";         // files <folder>/<prefix>-episode-<n>.mp4 (Gymnasium's names)
  std::int64_t episode_trigger_every = 1;  // record episodes n = 0, k, 2k, ... (n counts resets from 0)
  std::optional<double> fps;               // default: spec().metadata["render_fps"], else 20
  std::string ffmpeg = "ffmpeg";
};

// Records an episode as one mp4: the frame after reset plus one frame per step, each from the inner env's
// render(). The video is finished when the episode ends (terminated or truncated), at the next reset (an
// unfinished episode keeps what it has) or at close(). Throws a2w::Error when a recorded episode's render()
// returns no frame.
class RecordVideo : public Wrapper {
 public:
  RecordVideo(EnvPtr inner, RecordVideoOptions options);
  ~RecordVideo() override;

  ResetResult reset(std::optional<std::uint64_t> seed = std::nullopt, const Dict& options = {}) override;
  StepResult step(const Array& action) override;
  void close() override;  // finishes a video in progress, then closes the inner env; safe to call twice

  // Videos finished so far, in order.
  const std::vector<std::filesystem::path>& files() const { return files_; }

 private:
  void capture();
  void finish_video();

  RecordVideoOptions options_;
  double fps_ = 20.0;
  std::int64_t episode_ = -1;  // index of the current episode; -1 before the first reset
  std::unique_ptr<VideoWriter> video_;
  std::vector<std::filesystem::path> files_;
  bool closed_ = false;
};

}  // namespace a2w::env
