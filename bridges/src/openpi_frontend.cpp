#include "openpi_frontend.h"

// GCC 12 reports a false -Wmismatched-new-delete at the end of every Asio coroutine when it optimises with
// sanitizers on (the awaitable frame's operator new and delete are a matching pair of Asio's own).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <thread>

#include "a2w/bridge/codec.h"
#include "batching.h"

namespace a2w::bridge::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

// The Batcher calls back on its worker thread; the coroutine waits on a timer that the callback, posted to
// the io_context, cancels once the result is in.
struct Waiter {
  explicit Waiter(asio::io_context& io) : timer(io, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
  std::optional<InferResult> result;
};

}  // namespace

struct OpenPiFrontend::Impl {
  Batcher& batcher;
  OpenPiFrontendOptions options;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  int bound_port = 0;
  int connections = 0;  // io thread only
  std::string metadata_frame;

  Impl(Batcher& b, OpenPiFrontendOptions o) : batcher(b), options(std::move(o)) {}

  DecodeLimits limits() const {
    DecodeLimits l;
    l.max_message_bytes = options.max_message_bytes;
    return l;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;  // a failed accept (too many files, a reset): keep serving the others
      }
      asio::co_spawn(ioc, connection(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> http_reply(beast::tcp_stream& stream, http::status status, const std::string& text,
                                   unsigned version) {
    http::response<http::string_body> res{status, version};
    res.set(http::field::server, "a2w");
    res.set(http::field::content_type, "text/plain");
    res.keep_alive(false);
    res.body() = text;
    res.prepare_payload();
    boost::system::error_code ec;
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> connection(tcp::socket socket) {
    struct Count {
      int& n;
      explicit Count(int& c) : n(c) { ++n; }
      ~Count() { --n; }
    } count(connections);
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    boost::system::error_code ec;
    stream.expires_after(std::chrono::seconds(30));
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    auto req = parser.release();
    if (!websocket::is_upgrade(req)) {
      if (req.method() == http::verb::get && req.target() == "/healthz")
        co_await http_reply(stream, http::status::ok, "OK\n", req.version());
      else
        co_await http_reply(
            stream, http::status::not_found,
            "not found: this server speaks the OpenPI websocket protocol and answers GET /healthz\n",
            req.version());
      co_return;
    }
    if (connections > options.max_connections) {
      co_await http_reply(stream, http::status::service_unavailable, "too many connections\n", req.version());
      co_return;
    }
    stream.expires_never();
    websocket::stream<beast::tcp_stream> ws(std::move(stream));
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "a2w-openpi"); }));
    ws.read_message_max(options.max_message_bytes);
    co_await ws.async_accept(req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    // The server speaks first: the metadata, as openpi's server does.
    ws.binary(true);
    co_await ws.async_write(asio::buffer(metadata_frame), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const std::uint64_t session = options.new_session ? options.new_session() : 0;
    std::string error;
    for (;;) {
      auto in = std::make_shared<beast::flat_buffer>();
      co_await ws.async_read(*in, asio::redirect_error(use_awaitable, ec));
      if (ec) break;  // closed by the client, or dead
      if (!ws.got_binary()) {
        error = "expected a binary frame holding a msgpack observation, got a text frame";
        break;
      }
      InferJob job;
      job.session = session;
      job.rows = 1;
      try {
        const std::string_view bytes(static_cast<const char*>(in->data().data()), in->data().size());
        const Body body = decode(bytes, limits(), in);
        job.obs = as_batch_of_one(from_openpi(body.to_dict(), options.key_map));
        if (job.obs.empty())
          throw InvalidArgument("expected an observation with at least one key, got an empty map");
      } catch (const std::exception& e) {
        error = e.what();
        break;
      }
      job.signature = signature(job.obs);
      auto waiter = std::make_shared<Waiter>(ioc);
      asio::io_context& io = ioc;
      job.done = [waiter, &io](InferResult&& r) {
        asio::post(io, [waiter, r = std::move(r)]() mutable {
          waiter->result = std::move(r);
          waiter->timer.cancel();
        });
      };
      batcher.infer(std::move(job));
      co_await waiter->timer.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!waiter->result) {
        error = "the policy server is shutting down";
        break;
      }
      InferResult& r = *waiter->result;
      if (r.error) {
        error = r.message;
        break;
      }
      env::Array a = r.actions.row(0);
      if (a.ndim() <= 1) a = a.reshape({1, a.ndim() == 0 ? 1 : a.dim(0)});
      const std::string reply =
          encode(Body{{"actions", a},
                      {"server_timing", env::Dict{{"infer_ms", r.infer_ms}, {"batch_rows", r.batch_rows}}}});
      ws.binary(true);
      co_await ws.async_write(asio::buffer(reply), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    if (options.new_session) batcher.end_session(session);
    if (!error.empty() && ws.is_open()) {
      // OpenPI's convention: the reason as a text frame, then close with 1011 (internal error).
      ws.text(true);
      co_await ws.async_write(asio::buffer(error), asio::redirect_error(use_awaitable, ec));
      co_await ws.async_close(websocket::close_reason(websocket::close_code::internal_error, "a2w: error"),
                              asio::redirect_error(use_awaitable, ec));
    }
  }
};

OpenPiFrontend::OpenPiFrontend(Batcher& batcher, OpenPiFrontendOptions options)
    : impl_(std::make_unique<Impl>(batcher, std::move(options))) {}

OpenPiFrontend::~OpenPiFrontend() {
  stop();
}

void OpenPiFrontend::start() {
  Impl& m = *impl_;
  m.metadata_frame = encode(env::Value(m.options.metadata));
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(m.options.host, ec);
  if (ec) throw InvalidArgument("--openpi: expected an IP address, got '" + m.options.host + "'");
  const tcp::endpoint ep(address, static_cast<unsigned short>(m.options.port));
  m.acceptor.open(ep.protocol());
  m.acceptor.set_option(asio::socket_base::reuse_address(true));
  m.acceptor.bind(ep, ec);
  if (ec)
    throw Error("could not bind the OpenPI websocket to " + m.options.host + ":" +
                std::to_string(m.options.port) + ": " + ec.message());
  m.acceptor.listen();
  m.bound_port = m.acceptor.local_endpoint().port();
  asio::co_spawn(m.ioc, m.accept_loop(), asio::detached);
  m.thread = std::thread([&m] { m.ioc.run(); });
}

void OpenPiFrontend::stop() {
  Impl& m = *impl_;
  if (!m.thread.joinable()) return;
  asio::post(m.ioc, [&m] {
    boost::system::error_code ec;
    m.acceptor.close(ec);
  });
  m.ioc.stop();
  m.thread.join();
}

int OpenPiFrontend::port() const {
  return impl_->bound_port;
}

}  // namespace a2w::bridge::detail
