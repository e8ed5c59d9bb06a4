#include "a2w/bridge/openpi_policy.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <sstream>

#include "a2w/bridge/codec.h"
#include "a2w/bridge/errors.h"
#include "a2w/env/vector_env.h"

namespace a2w::bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

std::string seconds_text(double s) {
  std::ostringstream o;
  o << s;
  return o.str();
}

}  // namespace

// Blocking calls built from async operations, so that every one of them has a timeout (Beast's synchronous
// websocket calls have none): start the operation, run the io_context until it completes.
struct OpenPiPolicy::Connection {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};

  template <typename Start>
  boost::system::error_code run(Start&& start) {
    boost::system::error_code result;
    bool done = false;
    start([&](boost::system::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    // Until this operation completes, not until the io_context runs out of work: a websocket stream keeps
    // its idle timer armed between operations. The timer closes the stream on a timeout, which completes
    // the operation, so the loop ends.
    ioc.restart();
    while (!done && ioc.run_one()) {
    }
    if (!done) result = asio::error::operation_aborted;
    return result;
  }
};

OpenPiPolicy::OpenPiPolicy(OpenPiPolicyOptions options) : options_(std::move(options)) {
  if (options_.action_dim < 1)
    throw InvalidArgument("OpenPiPolicy: action_dim: expected >= 1, got " +
                          std::to_string(options_.action_dim));
  connect();
}

OpenPiPolicy::~OpenPiPolicy() {
  if (!conn_) return;
  boost::system::error_code ec;
  beast::get_lowest_layer(conn_->ws).socket().close(ec);
}

std::string OpenPiPolicy::name() const {
  return "openpi://" + options_.host + ":" + std::to_string(options_.port);
}

void OpenPiPolicy::connect() {
  conn_.reset();
  auto c = std::make_unique<Connection>();
  const std::string where =
      "the OpenPI policy server at " + options_.host + ":" + std::to_string(options_.port);
  tcp::resolver resolver(c->ioc);
  boost::system::error_code ec;
  const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
  if (ec) throw Unavailable("cannot resolve " + options_.host + ": " + ec.message());
  beast::get_lowest_layer(c->ws).expires_after(seconds(options_.connect_timeout_s));
  ec = c->run([&](auto handler) { beast::get_lowest_layer(c->ws).async_connect(endpoints, handler); });
  if (ec) throw Unavailable("could not reach " + where + ": " + ec.message() + " (is it running?)");
  beast::get_lowest_layer(c->ws).expires_never();
  websocket::stream_base::timeout t{};
  t.handshake_timeout = seconds(options_.connect_timeout_s);
  t.idle_timeout = seconds(options_.deadline_s);
  t.keep_alive_pings = false;  // OpenPI servers infer on their event loop: pings would go unanswered anyway
  c->ws.set_option(t);
  c->ws.read_message_max(options_.max_message_bytes);
  const std::string api_key = options_.api_key;
  c->ws.set_option(websocket::stream_base::decorator([api_key](websocket::request_type& req) {
    req.set(beast::http::field::user_agent, "a2w-openpi-client");
    if (!api_key.empty()) req.set(beast::http::field::authorization, "Api-Key " + api_key);
  }));
  const std::string host = options_.host + ":" + std::to_string(options_.port);
  ec = c->run([&](auto handler) { c->ws.async_handshake(host, "/", handler); });
  if (ec) throw Unavailable("websocket handshake with " + where + " failed: " + ec.message());
  // The server speaks first: its metadata.
  beast::flat_buffer buf;
  ec = c->run([&](auto handler) { c->ws.async_read(buf, handler); });
  if (ec) throw Unavailable(where + " sent no metadata frame: " + ec.message());
  if (!c->ws.got_binary())
    throw RemoteError(ErrorCode::kPolicyError, where + " sent a text frame instead of its metadata: " +
                                                   beast::buffers_to_string(buf.data()));
  DecodeLimits limits;
  limits.max_message_bytes = options_.max_message_bytes;
  const env::Value md =
      decode_value(std::string_view(static_cast<const char*>(buf.data().data()), buf.data().size()), limits);
  if (!md.is_dict())
    throw InvalidArgument(where + ": expected its metadata to be a map, got " + env::describe(md));
  metadata_ = md.as_dict();
  c->ws.binary(true);
  conn_ = std::move(c);
}

env::Array OpenPiPolicy::act(const env::Dict& obs) {
  std::int64_t rows = -1;
  for (const auto& [k, v] : obs) {
    if (v.is_array() && v.as_array().ndim() > 0) rows = v.as_array().dim(0);
    if (v.is_list()) rows = static_cast<std::int64_t>(v.as_list().size());
    if (rows >= 0) break;
  }
  if (rows < 1)
    throw InvalidArgument("OpenPiPolicy: expected a batch of observations, got no array or list in it");
  if (!conn_) connect();
  const std::string where =
      "the OpenPI policy server at " + options_.host + ":" + std::to_string(options_.port);
  DecodeLimits limits;
  limits.max_message_bytes = options_.max_message_bytes;
  std::vector<env::Array> chunks;
  std::int64_t horizon = -1;
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::string request = encode(to_openpi(env::read_row(obs, static_cast<int>(i)), options_.key_map));
    Connection& c = *conn_;
    c.ws.binary(true);
    auto ec = c.run([&](auto handler) { c.ws.async_write(asio::buffer(request), handler); });
    beast::flat_buffer buf;
    if (!ec) ec = c.run([&](auto handler) { c.ws.async_read(buf, handler); });
    if (ec) {
      conn_.reset();
      if (ec == beast::error::timeout)
        throw DeadlineExceeded(where + " did not answer within the deadline of " +
                               seconds_text(options_.deadline_s) + " s");
      throw Unavailable(where + " went away: " + ec.message());
    }
    if (!c.ws.got_binary()) {
      // OpenPI's error convention: the reason as text, then close 1011.
      const std::string text = beast::buffers_to_string(buf.data());
      conn_.reset();
      throw RemoteError(ErrorCode::kPolicyError, where + " answered with an error: " + text);
    }
    auto keep = std::make_shared<beast::flat_buffer>(std::move(buf));
    const Body reply = decode(
        std::string_view(static_cast<const char*>(keep->data().data()), keep->data().size()), limits, keep);
    const env::Value* a = reply.find("actions");
    if (!a || !a->is_array())
      throw InvalidArgument(where + ": expected \"actions\" in its reply, got " +
                            (a ? env::describe(*a) : std::string("no such key")));
    env::Array actions = a->as_array();
    if (actions.ndim() == 1) actions = actions.reshape({1, actions.dim(0)});
    if (actions.ndim() != 2 || actions.dim(1) < options_.action_dim || actions.dim(0) < 1)
      throw InvalidArgument(where + ": expected \"actions\" [H, D] with D >= " +
                            std::to_string(options_.action_dim) + ", got " + env::describe(actions));
    const std::int64_t h =
        options_.replan > 0 ? std::min<std::int64_t>(options_.replan, actions.dim(0)) : actions.dim(0);
    env::Array chunk(env::DType::kFloat32, {h, options_.action_dim});
    for (std::int64_t t = 0; t < h; ++t)
      for (int d = 0; d < options_.action_dim; ++d)
        chunk.data<float>()[t * options_.action_dim + d] =
            static_cast<float>(actions.at(t * actions.dim(1) + d));
    horizon = horizon < 0 ? h : std::min(horizon, h);
    chunks.push_back(std::move(chunk));
  }
  env::Array out(env::DType::kFloat32, {rows, horizon, options_.action_dim});
  for (std::int64_t i = 0; i < rows; ++i)
    out.row(i).copy_from(chunks[static_cast<std::size_t>(i)].rows(0, horizon));
  return out;
}

}  // namespace a2w::bridge
