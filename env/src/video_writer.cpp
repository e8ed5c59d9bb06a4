#include "a2w/env/video_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>

#include "a2w/env/error.h"

extern char** environ;

namespace a2w::env {

// ------------------------------------------------------------------------------------------ side_by_side

Array side_by_side(const std::vector<Array>& images) {
  if (images.empty()) throw InvalidArgument("side_by_side: expected at least one image, got none");
  std::int64_t height = -1, width = 0;
  for (std::size_t i = 0; i < images.size(); ++i) {
    const Array& im = images[i];
    if (!im.valid() || im.dtype() != DType::kUInt8 || im.ndim() != 3 || im.dim(2) != 3)
      throw InvalidArgument("side_by_side: expected image " + std::to_string(i) +
                            " to be uint8 [H, W, 3], got " +
                            (im.valid() ? std::string(dtype_name(im.dtype())) + " " + shape_str(im.shape())
                                        : std::string("no array")));
    if (height >= 0 && im.dim(0) != height)
      throw InvalidArgument("side_by_side: expected image " + std::to_string(i) + " to have height " +
                            std::to_string(height) + " like image 0, got " + std::to_string(im.dim(0)));
    height = im.dim(0);
    width += im.dim(1);
  }
  Array out(DType::kUInt8, Shape{height, width, 3});
  auto* dst = out.data<std::uint8_t>();
  for (std::int64_t y = 0; y < height; ++y)
    for (const Array& im : images) {
      const auto row = static_cast<std::size_t>(im.dim(1) * 3);
      std::memcpy(dst, im.data<std::uint8_t>() + static_cast<std::size_t>(y) * row, row);
      dst += row;
    }
  return out;
}

// ------------------------------------------------------------------------------------------- VideoWriter

namespace {

// Blocks SIGPIPE on this thread while writing to ffmpeg, so that an ffmpeg that died makes write() fail
// with EPIPE (reported with ffmpeg's message) instead of killing the whole process. A SIGPIPE raised
// meanwhile is consumed before the old mask is restored; one that was pending before is left alone.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (hit_ && !was_pending_) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  void hit() { hit_ = true; }

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
  bool hit_ = false;
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  // A runaway error message should not become a megabyte-long exception.
  constexpr std::size_t kMax = 4000;
  if (s.size() > kMax) s = "..." + s.substr(s.size() - kMax);
  return s;
}

// Moves fd above stdin/stdout/stderr (keeping it close-on-exec), so that dup2 onto 0 in the child is a
// real dup2 even when the parent runs with its standard streams closed.
int above_stdio(int fd) {
  if (fd > 2) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

std::string fps_text(double fps) {
  std::ostringstream s;
  s.precision(17);
  s << fps;
  return s.str();
}

}  // namespace

struct VideoWriter::Impl {
  std::filesystem::path path, temp, log;
  std::string ffmpeg;
  int width = 0, height = 0;          // of the frames given to write()
  int out_width = 0, out_height = 0;  // encoded: rounded up to even
  pid_t pid = -1;
  int fd = -1;  // write end of ffmpeg's stdin; -1 once closed
  std::int64_t frames = 0;
  std::vector<std::uint8_t> padded;  // frame buffer for odd sizes, black outside the frame

  // Closes ffmpeg's input, waits for it and returns what went wrong ("" when it exited with status 0).
  std::string finish_process() {
    if (fd >= 0) {
      ::close(fd);
      fd = -1;
    }
    if (pid < 0) return "";
    int status = 0;
    pid_t r;
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
    }
    pid = -1;
    std::string message = read_text(log);
    std::error_code ec;
    std::filesystem::remove(log, ec);
    if (r < 0) return "could not get ffmpeg's exit status: " + std::string(std::strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    std::string what = WIFEXITED(status) ? "ffmpeg exited with status " + std::to_string(WEXITSTATUS(status))
                                         : "ffmpeg was killed by signal " + std::to_string(WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && message.empty())
      what += " (the program '" + ffmpeg + "' could not be run)";
    return message.empty() ? what : what + ": " + message;
  }

  [[noreturn]] void fail(const std::string& when) {
    const std::string why = finish_process();
    std::error_code ec;
    std::filesystem::remove(temp, ec);
    throw Error("VideoWriter: " + when + " " + path.string() +
                " failed: " + (why.empty() ? "ffmpeg stopped reading frames" : why));
  }
};

VideoWriter::VideoWriter(std::filesystem::path path, int width, int height, double fps, std::string ffmpeg)
    : impl_(std::make_unique<Impl>()) {
  if (width <= 0 || height <= 0)
    throw InvalidArgument("VideoWriter: expected a positive frame size, got " + std::to_string(width) + "x" +
                          std::to_string(height));
  if (!(fps > 0.0)) throw InvalidArgument("VideoWriter: expected fps > 0, got " + std::to_string(fps));
  if (ffmpeg.empty())
    throw InvalidArgument("VideoWriter: expected the ffmpeg program name, got an empty one");
  Impl& m = *impl_;
  m.path = std::move(path);
  m.temp = m.path;
  m.temp += ".tmp-" + std::to_string(::getpid());
  m.log = m.temp;
  m.log += ".log";
  m.ffmpeg = std::move(ffmpeg);
  m.width = width;
  m.height = height;
  m.out_width = width + (width % 2);
  m.out_height = height + (height % 2);
  if (m.out_width != width || m.out_height != height)
    m.padded.assign(static_cast<std::size_t>(m.out_width) * static_cast<std::size_t>(m.out_height) * 3, 0);

  const std::vector<std::string> args = {
      m.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
      "-s", std::to_string(m.out_width) + "x" + std::to_string(m.out_height), "-r", fps_text(fps), "-i", "-",
      "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "23", "-movflags", "+faststart",
      // The temp name has no .mp4 extension to guess the container from.
      "-f", "mp4", m.temp.string()};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int fds[2];
  // O_CLOEXEC: no other child spawned meanwhile (another VideoWriter's ffmpeg) may inherit the write end,
  // or this ffmpeg would never see the end of its input.
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw Error("VideoWriter: could not create a pipe to ffmpeg: " + std::string(std::strerror(errno)));
  const int read_end = above_stdio(fds[0]);
  const int write_end = above_stdio(fds[1]);
  if (read_end < 0 || write_end < 0) {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
    throw Error("VideoWriter: could not set up the pipe to ffmpeg: " + std::string(std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, read_end, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  // stderr to a file, not a pipe: a pipe nobody drains while frames are written could fill and deadlock.
  posix_spawn_file_actions_addopen(&actions, 2, m.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int rc = m.ffmpeg.find('/') != std::string::npos
                     ? posix_spawn(&pid, m.ffmpeg.c_str(), &actions, nullptr, argv.data(), environ)
                     : posix_spawnp(&pid, m.ffmpeg.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(read_end);
  if (rc != 0) {
    ::close(write_end);
    std::error_code ec;
    std::filesystem::remove(m.log, ec);
    throw Error("VideoWriter: could not start '" + m.ffmpeg + "' to write " + m.path.string() + ": " +
                std::strerror(rc) +
                (rc == ENOENT
                     ? std::string("; expected the ffmpeg program on PATH (Debian: apt-get install ffmpeg)")
                     : std::string()));
  }
  m.pid = pid;
  m.fd = write_end;
}

VideoWriter::~VideoWriter() {
  if (!is_open()) return;
  if (impl_->frames == 0) {
    // Nothing was recorded: no file to finish, and nothing worth a message.
    (void)impl_->finish_process();
    std::error_code ec;
    std::filesystem::remove(impl_->temp, ec);
    return;
  }
  try {
    close();
  } catch (const std::exception& e) {
    std::cerr << "a2w VideoWriter: " << e.what() << "\n";
  }
}

void VideoWriter::write(const Array& frame) {
  if (!is_open()) throw Error("VideoWriter::write: expected an open writer, got a closed one");
  Impl& m = *impl_;
  if (!frame.valid() || frame.dtype() != DType::kUInt8 || frame.shape() != Shape{m.height, m.width, 3})
    throw InvalidArgument("VideoWriter::write: expected a frame uint8 " +
                          shape_str(Shape{m.height, m.width, 3}) + " for " + m.path.string() + ", got " +
                          (frame.valid()
                               ? std::string(dtype_name(frame.dtype())) + " " + shape_str(frame.shape())
                               : std::string("no array")));
  const std::uint8_t* bytes = frame.data<std::uint8_t>();
  std::size_t size = frame.nbytes();
  if (!m.padded.empty()) {
    // Rows of the frame at the top left; the padding column and row stay black from construction.
    const auto in_row = static_cast<std::size_t>(m.width) * 3,
               out_row = static_cast<std::size_t>(m.out_width) * 3;
    for (int y = 0; y < m.height; ++y)
      std::memcpy(m.padded.data() + static_cast<std::size_t>(y) * out_row,
                  bytes + static_cast<std::size_t>(y) * in_row, in_row);
    bytes = m.padded.data();
    size = m.padded.size();
  }
  SigpipeGuard guard;
  while (size > 0) {
    const ssize_t n = ::write(m.fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) guard.hit();
      m.fail("writing frame " + std::to_string(m.frames) + " of");
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
  }
  ++m.frames;
}

void VideoWriter::close() {
  if (!is_open()) return;
  Impl& m = *impl_;
  if (m.frames == 0) {
    (void)m.finish_process();
    std::error_code ec;
    std::filesystem::remove(m.temp, ec);
    throw Error("VideoWriter::close: expected at least one frame for " + m.path.string() +
                ", got none; no file was written");
  }
  const std::string why = m.finish_process();
  if (!why.empty()) {
    std::error_code ec;
    std::filesystem::remove(m.temp, ec);
    throw Error("VideoWriter: encoding " + m.path.string() + " failed: " + why);
  }
  std::error_code ec;
  std::filesystem::rename(m.temp, m.path, ec);
  if (ec)
    throw Error("VideoWriter::close: renaming " + m.temp.string() + " to " + m.path.string() +
                " failed: " + ec.message());
}

bool VideoWriter::is_open() const {
  return impl_ && impl_->fd >= 0;
}
std::int64_t VideoWriter::frames() const {
  return impl_ ? impl_->frames : 0;
}
const std::filesystem::path& VideoWriter::path() const {
  return impl_->path;
}

// ------------------------------------------------------------------------------------------- RecordVideo

RecordVideo::RecordVideo(EnvPtr inner, RecordVideoOptions options)
    : Wrapper(std::move(inner)), options_(std::move(options)) {
  if (options_.episode_trigger_every < 1)
    throw InvalidArgument("RecordVideo: expected episode_trigger_every >= 1, got " +
                          std::to_string(options_.episode_trigger_every));
  if (options_.folder.empty())
    throw InvalidArgument("RecordVideo: expected an output folder, got an empty path");
  fps_ = options_.fps ? *options_.fps : get_or(inner_->spec().metadata, "render_fps", 20.0);
  if (!(fps_ > 0.0)) throw InvalidArgument("RecordVideo: expected fps > 0, got " + std::to_string(fps_));
  std::error_code ec;
  std::filesystem::create_directories(options_.folder, ec);
  if (ec)
    throw Error("RecordVideo: could not create the folder " + options_.folder.string() + ": " + ec.message());
}

RecordVideo::~RecordVideo() {
  if (closed_ || !video_) return;
  try {
    finish_video();
  } catch (const std::exception& e) {
    std::cerr << "a2w RecordVideo: " << e.what() << "\n";
  }
}

void RecordVideo::capture() {
  const Array frame = inner_->render();
  if (!frame.valid())
    throw Error("RecordVideo: expected a frame from render() of " + inner_->spec().id +
                ", got none (the env has nothing to show)");
  if (!video_) {
    if (frame.ndim() != 3)
      throw InvalidArgument("RecordVideo: expected render() to return uint8 [H, W, 3], got " +
                            std::string(dtype_name(frame.dtype())) + " " + shape_str(frame.shape()));
    const auto name = options_.prefix + "-episode-" + std::to_string(episode_) + ".mp4";
    video_ = std::make_unique<VideoWriter>(options_.folder / name, static_cast<int>(frame.dim(1)),
                                           static_cast<int>(frame.dim(0)), fps_, options_.ffmpeg);
  }
  try {
    video_->write(frame);
  } catch (...) {
    video_.reset();  // the writer has already stopped ffmpeg and removed its temp file
    throw;
  }
}

void RecordVideo::finish_video() {
  std::unique_ptr<VideoWriter> video = std::move(video_);
  video->close();
  files_.push_back(video->path());
}

ResetResult RecordVideo::reset(std::optional<std::uint64_t> seed, const Dict& options) {
  if (closed_) throw Error("RecordVideo::reset: expected an open env, got one that was closed");
  if (video_) finish_video();
  ResetResult r = inner_->reset(seed, options);
  ++episode_;
  if (episode_ % options_.episode_trigger_every == 0) capture();
  return r;
}

StepResult RecordVideo::step(const Array& action) {
  if (closed_) throw Error("RecordVideo::step: expected an open env, got one that was closed");
  StepResult r = inner_->step(action);
  if (video_) {
    capture();
    if (r.terminated || r.truncated) finish_video();
  }
  return r;
}

void RecordVideo::close() {
  if (closed_) return;
  closed_ = true;
  try {
    if (video_) finish_video();
  } catch (...) {
    inner_->close();
    throw;
  }
  inner_->close();
}

}  // namespace a2w::env
