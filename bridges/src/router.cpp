#include "router.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "a2w/bridge/codec.h"
#include "wire.h"

namespace a2w::bridge::detail {

namespace {

zmq::message_t header_message(MessageType type, std::uint64_t id) {
  Header h;
  h.type = type;
  h.id = id;
  const std::string bytes = encode_header(h);
  return zmq::message_t(bytes.data(), bytes.size());
}

zmq::message_t error_message(ErrorCode code, const std::string& message) {
  return wire::encode_message(error_body(code, message));
}

}  // namespace

void set_common_options(zmq::socket_t& s, std::size_t max_message_bytes) {
  s.set(zmq::sockopt::linger, 0);
  s.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(max_message_bytes));
  s.set(zmq::sockopt::heartbeat_ivl, 1000);
  s.set(zmq::sockopt::heartbeat_timeout, 3000);
  s.set(zmq::sockopt::heartbeat_ttl, 3000);
  s.set(zmq::sockopt::sndhwm, 1000);
  s.set(zmq::sockopt::rcvhwm, 1000);
}

Router::Router(const RouterOptions& options)
    : ctx_(1), socket_(ctx_, zmq::socket_type::router), max_message_bytes_(options.max_message_bytes) {
  const std::string bind = zmq_bind_endpoint(options.bind);
  check_bind_allowed(options.bind, options.keys.has_value());
  set_common_options(socket_, max_message_bytes_ + kMaxHeaderBytes);
  // An unroutable reply (the client left) is an error we count instead of a silent drop.
  socket_.set(zmq::sockopt::router_mandatory, 1);
  if (options.keys) {
    if (!has_curve()) throw Error("CURVE keys given but this libzmq has no CURVE support");
    authorized_ = options.keys->authorized_clients;
    if (!authorized_.empty()) {
      // ZAP: libzmq asks this socket whether each CURVE client key may connect.
      zap_.emplace(ctx_, zmq::socket_type::rep);
      zap_->set(zmq::sockopt::linger, 0);
      zap_->bind("inproc://zeromq.zap.01");
    }
    socket_.set(zmq::sockopt::curve_server, 1);
    socket_.set(zmq::sockopt::curve_secretkey, options.keys->server.secret_key);
  }
  try {
    socket_.bind(bind);
  } catch (const zmq::error_t& e) {
    throw Error("could not bind " + options.bind + ": " + e.what() +
                (e.num() == EADDRINUSE ? " (another server is listening there; pick another port)" : ""));
  }
  endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) throw Error(std::string("eventfd: ") + std::strerror(errno));
}

Router::~Router() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Router::post(const Peer& to, MessageType type, std::uint64_t id, zmq::message_t body) {
  {
    std::lock_guard lock(mu_);
    posted_.push_back(Out{to, type, id, std::move(body)});
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

void Router::post_error(const Peer& to, std::uint64_t id, ErrorCode code, const std::string& message) {
  post(to, MessageType::kError, id, error_message(code, message));
}

void Router::stop() {
  stop_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
}

bool Router::send(const Peer& to, MessageType type, std::uint64_t id, zmq::message_t body) {
  try {
    zmq::message_t rid(to.id.data(), to.id.size());
    if (!socket_.send(rid, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      ++counters_.unroutable;
      return false;
    }
    // Once the routing frame is accepted the rest of the message goes to the same pipe.
    if (to.delimiter) socket_.send(zmq::message_t(), zmq::send_flags::sndmore);
    socket_.send(header_message(type, id), zmq::send_flags::sndmore);
    socket_.send(body, zmq::send_flags::none);
    ++counters_.sent;
    return true;
  } catch (const zmq::error_t&) {
    ++counters_.unroutable;  // EHOSTUNREACH: the peer disconnected (ROUTER_MANDATORY)
    return false;
  }
}

void Router::send_error(const Peer& to, std::uint64_t id, ErrorCode code, const std::string& message) {
  send(to, MessageType::kError, id, error_message(code, message));
}

void Router::flush_posted() {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto n = ::read(wake_fd_, &count, sizeof count);
  std::vector<Out> out;
  {
    std::lock_guard lock(mu_);
    out.swap(posted_);
  }
  for (auto& m : out) send(m.peer, m.type, m.id, std::move(m.body));
}

void Router::answer_zap() {
  std::vector<zmq::message_t> req;
  if (!zmq::recv_multipart(*zap_, std::back_inserter(req), zmq::recv_flags::dontwait)) return;
  // ZAP 1.0 (RFC 27): version, request id, domain, address, identity, mechanism, credentials...
  std::string status = "400", text = "client key not in authorized_clients";
  if (req.size() >= 7 && req[5].to_string_view() == "CURVE" && req[6].size() == 32) {
    char z85[41];
    zmq_z85_encode(z85, static_cast<const std::uint8_t*>(req[6].data()), 32);
    if (std::find(authorized_.begin(), authorized_.end(), std::string(z85)) != authorized_.end()) {
      status = "200";
      text = "OK";
    }
  }
  const std::string request_id = req.size() > 1 ? req[1].to_string() : "";
  zap_->send(zmq::buffer(std::string_view("1.0")), zmq::send_flags::sndmore);
  zap_->send(zmq::buffer(request_id), zmq::send_flags::sndmore);
  zap_->send(zmq::buffer(status), zmq::send_flags::sndmore);
  zap_->send(zmq::buffer(text), zmq::send_flags::sndmore);
  zap_->send(zmq::message_t(), zmq::send_flags::sndmore);
  zap_->send(zmq::message_t(), zmq::send_flags::none);
}

void Router::receive_one() {
  std::vector<zmq::message_t> frames;
  frames.reserve(4);
  if (!zmq::recv_multipart(socket_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
  ++counters_.received;
  Peer peer{frames[0].to_string(), false};
  std::size_t first = 1;
  if (frames.size() == 4 && frames[1].size() == 0) {
    peer.delimiter = true;  // [id, "", header, body] from a REQ socket
    first = 2;
  }
  if (frames.size() - first != 2) {
    ++counters_.malformed;
    send_error(peer, 0, ErrorCode::kBadMessage,
               "expected a message of 2 frames [header, body], got " + std::to_string(frames.size() - 1));
    return;
  }
  Incoming in;
  in.received = Clock::now();
  try {
    in.header = decode_header(frames[first].to_string_view());
  } catch (const InvalidArgument& e) {
    ++counters_.malformed;
    send_error(peer, 0, ErrorCode::kBadMessage, e.what());
    return;
  }
  try {
    check_version(in.header.version);
  } catch (const InvalidArgument& e) {
    ++counters_.malformed;
    send_error(peer, in.header.id, ErrorCode::kUnsupportedVersion, e.what());
    return;
  }
  if (frames[first + 1].size() > max_message_bytes_) {
    ++counters_.malformed;
    send_error(peer, in.header.id, ErrorCode::kBadMessage,
               "message body of " + std::to_string(frames[first + 1].size()) + " bytes; the limit is " +
                   std::to_string(max_message_bytes_));
    return;
  }
  switch (in.header.type) {
    case MessageType::kPing: {
      static const std::string pong = encode(Body{{"status", "ready"}});
      send(peer, MessageType::kPong, in.header.id, zmq::message_t(pong.data(), pong.size()));
      return;
    }
    case MessageType::kPong:
      return;  // a client answering our nothing: ignore
    case MessageType::kError:
      return;  // clients do not send errors to servers; nothing sensible to answer
    default:
      break;
  }
  in.peer = std::move(peer);
  in.deadline = in.header.deadline_ms ? in.received + std::chrono::milliseconds(*in.header.deadline_ms)
                                      : Clock::time_point::max();
  in.body = std::make_shared<zmq::message_t>(std::move(frames[first + 1]));
  const Peer to = in.peer;
  const std::uint64_t id = in.header.id;
  try {
    on_message_(std::move(in));
  } catch (const InvalidArgument& e) {
    ++counters_.malformed;
    send_error(to, id, ErrorCode::kBadMessage, e.what());
  } catch (const std::exception& e) {
    send_error(to, id, ErrorCode::kInternal, e.what());
  }
}

void Router::run(const std::function<void(Incoming&&)>& on_message, const std::function<void()>& on_tick,
                 std::chrono::milliseconds tick) {
  on_message_ = on_message;
  std::vector<zmq::pollitem_t> items{{socket_.handle(), 0, ZMQ_POLLIN, 0},
                                     {nullptr, wake_fd_, ZMQ_POLLIN, 0}};
  if (zap_) items.push_back({zap_->handle(), 0, ZMQ_POLLIN, 0});
  while (!stop_) {
    zmq::poll(items, tick);
    if (items[1].revents & ZMQ_POLLIN) flush_posted();
    if (zap_ && (items[2].revents & ZMQ_POLLIN)) answer_zap();
    // Bounded, so replies queued meanwhile do not wait behind a flood of requests.
    for (int i = 0; i < 64 && (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN); ++i) receive_one();
    on_tick();
    // Replies that on_tick produced on this thread go out now, not after another trip through the poll.
    flush_posted();
  }
  flush_posted();
}

}  // namespace a2w::bridge::detail
