#include "client.h"

#include <cmath>
#include <sstream>

#include "a2w/bridge/errors.h"
#include "a2w/bridge/security.h"
#include "router.h"
#include "wire.h"

namespace a2w::bridge::detail {

namespace {

using Clock = std::chrono::steady_clock;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(std::max(0.0, s)));
}

std::string fmt(double s) {
  std::ostringstream o;
  o.precision(s < 10 ? 2 : 3);
  o << s;
  return o.str();
}

}  // namespace

Client::Client(ClientOptions options) : options_(std::move(options)), ctx_(1) {
  if (!options_.server_public_key.empty()) {
    const auto keys = generate_curve_keys();
    client_public_ = keys.public_key;
    client_secret_ = keys.secret_key;
  }
}

Client::~Client() {
  socket_.reset();
}

void Client::connect() {
  socket_.emplace(ctx_, zmq::socket_type::dealer);
  set_common_options(*socket_, options_.max_message_bytes + kMaxHeaderBytes);
  socket_->set(zmq::sockopt::immediate, 1);
  socket_->set(zmq::sockopt::reconnect_ivl, 100);
  socket_->set(zmq::sockopt::reconnect_ivl_max, 1000);
  if (!options_.server_public_key.empty()) {
    socket_->set(zmq::sockopt::curve_serverkey, options_.server_public_key);
    socket_->set(zmq::sockopt::curve_publickey, client_public_);
    socket_->set(zmq::sockopt::curve_secretkey, client_secret_);
  }
  try {
    socket_->connect(options_.endpoint);
  } catch (const zmq::error_t& e) {
    socket_.reset();
    throw InvalidArgument("cannot connect to '" + options_.endpoint + "': " + e.what() +
                          " (expected tcp://HOST:PORT)");
  }
  ever_answered_ = false;
}

void Client::reset_connection() {
  socket_.reset();
}

bool Client::send_frames(zmq::message_t& header, zmq::message_t& body, Clock::time_point until) {
  // With IMMEDIATE=1 a DEALER has no pipe until its connection is up: wait for POLLOUT, then send.
  while (true) {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    zmq::poll(&item, 1, std::max(left, std::chrono::milliseconds(0)));
    if (item.revents & ZMQ_POLLOUT) {
      if (socket_->send(header, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        socket_->send(body, zmq::send_flags::none);
        return true;
      }
    }
    if (Clock::now() >= until) return false;
  }
}

Reply Client::request(MessageType type, const Body& body, std::optional<std::int64_t> batch,
                      std::optional<double> deadline_s) {
  if (!socket_) connect();
  const double deadline = deadline_s.value_or(options_.deadline_s);
  const auto start = Clock::now();
  const auto deadline_at = start + seconds(deadline);

  Header h;
  h.type = type;
  h.id = next_id_++;
  h.batch = batch;
  h.deadline_ms = static_cast<std::uint32_t>(std::min(deadline * 1000.0, 86'400'000.0));
  const std::string hb = encode_header(h);
  zmq::message_t header(hb.data(), hb.size());
  zmq::message_t payload = wire::encode_message(body, scratch_);

  const double send_wait =
      ever_answered_ || answered_before_ ? options_.peer_timeout_s : options_.connect_timeout_s;
  if (!send_frames(header, payload, std::min(deadline_at, start + seconds(send_wait)))) {
    socket_.reset();
    if (answered_before_)
      throw Unavailable("lost the " + options_.what + " at " + options_.endpoint +
                        ": it answered before, but no " + "connection for " + fmt(send_wait) +
                        " s (the server exited, crashed or the network is down)");
    throw Unavailable("could not reach the " + options_.what + " at " + options_.endpoint + " within " +
                      fmt(send_wait) + " s: no connection (is it running, and is the address right?)");
  }

  auto last_heard = Clock::now();
  auto next_ping = last_heard + seconds(options_.ping_interval_s);
  std::uint64_t ping_id = 0;
  while (true) {
    const auto now = Clock::now();
    if (now - last_heard > seconds(options_.peer_timeout_s)) {
      socket_.reset();
      throw Unavailable("the " + options_.what + " at " + options_.endpoint +
                        " stopped answering: no reply and no " + "pong for " + fmt(options_.peer_timeout_s) +
                        " s while waiting for " + std::string(to_string(type)) + " #" + std::to_string(h.id) +
                        " (the server exited, crashed or the network is down)");
    }
    if (now >= deadline_at)
      throw DeadlineExceeded("the " + options_.what + " at " + options_.endpoint + " did not answer " +
                             std::string(to_string(type)) + " #" + std::to_string(h.id) +
                             " within its deadline of " + fmt(deadline) +
                             " s (it answers pings, so it is alive but slow)");
    if (now >= next_ping) {
      Header p;
      p.type = MessageType::kPing;
      p.id = ++ping_id;
      const std::string pb = encode_header(p);
      static const std::string empty = encode(Body{});
      // dontwait: when the connection is gone, the ping cannot be queued, and that is fine.
      if (socket_->send(zmq::message_t(pb.data(), pb.size()),
                        zmq::send_flags::sndmore | zmq::send_flags::dontwait))
        socket_->send(zmq::message_t(empty.data(), empty.size()), zmq::send_flags::none);
      next_ping = now + seconds(options_.ping_interval_s);
    }
    const auto wake = std::min({deadline_at, next_ping, last_heard + seconds(options_.peer_timeout_s)});
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1,
              std::max(std::chrono::duration_cast<std::chrono::milliseconds>(wake - now) +
                           std::chrono::milliseconds(1),
                       std::chrono::milliseconds(1)));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(*socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) continue;
    last_heard = Clock::now();
    ever_answered_ = answered_before_ = true;
    if (frames.size() != 2)
      throw InvalidArgument("the " + options_.what + " sent a message of " + std::to_string(frames.size()) +
                            " frames; expected [header, body]");
    const Header rh = decode_header(frames[0].to_string_view());
    check_version(rh.version);
    if (rh.type == MessageType::kPong) continue;
    if (rh.id != h.id) {
      ++stale_;
      continue;
    }
    auto keep = std::make_shared<zmq::message_t>(std::move(frames[1]));
    DecodeLimits limits;
    limits.max_message_bytes = options_.max_message_bytes;
    Body rb = decode(wire::view(*keep), limits, keep);
    if (rh.type == MessageType::kError) {
      const env::Value* code = rb.find("code");
      const env::Value* msg = rb.find("message");
      const ErrorCode c =
          code && code->is_string() ? parse_error_code(code->as_string()) : ErrorCode::kInternal;
      throw RemoteError(
          c, "the " + options_.what + " at " + options_.endpoint + " answered " +
                 std::string(to_string(type)) + " with an error (" + std::string(to_string(c)) +
                 "): " + (msg && msg->is_string() ? msg->as_string() : std::string("(no message)")));
    }
    return Reply{rh, std::move(rb)};
  }
}

}  // namespace a2w::bridge::detail
