#include "tools/cosmos-emulator/service.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace idabus::emulator {

namespace http = io::http;
namespace net = boost::asio;

http::reply serve_request(routes& api, fault_injector& faults, std::chrono::milliseconds latency,
                          const http::request& request) {
  http::reply out;
  out.delay = latency;
  if (auto denied = api.authorize(request)) {
    out.message = std::move(*denied);
    return out;
  }
  std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  bool account_read = request.method == "GET" && (path.empty() || path == "/");
  fault f = account_read ? fault::none : faults.next(request.method, path);
  if (f == fault::throttle) {
    out.message = error_response(429, "TooManyRequests",
                                 "Request rate is large. More Request Units may be needed, so no changes were made. "
                                 "Please retry this request later. (injected by --fault-429)",
                                 3200);
    out.message.headers.emplace_back("x-ms-retry-after-ms",
                                     std::to_string(faults.options().throttle_retry_after.count()));
    api.add_common_headers(out.message, 0, {});
    return out;
  }
  if (f == fault::unavailable) {
    out.message = error_response(503, "ServiceUnavailable",
                                 "The service is currently unavailable. (injected by --fault-503)");
    api.add_common_headers(out.message, 0, {});
    return out;
  }
  out.message = api.handle(request);
  if (f == fault::reset) out.how = http::delivery::reset_mid_body;
  return out;
}

http::head_check make_head_check(const routes& api) {
  return [&api](const http::request& head) { return api.authorize(head); };
}

net::awaitable<void> wait_durable(store& data) {
  // The handler is move-only and std::function copies: share it. when_durable may answer at
  // once (inside the initiation), so the completion is always posted to the handler's executor.
  auto initiate = [&data](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    data.when_durable([shared](std::exception_ptr error) {
      auto executor = net::get_associated_executor(*shared);
      net::post(executor, [shared, error]() mutable { std::move(*shared)(error); });
    });
  };
  // Named first: a capturing lambda inside a co_await operand corrupts the heap with GCC 12.
  auto durable = net::async_initiate<const net::use_awaitable_t<>&, void(std::exception_ptr)>(std::move(initiate),
                                                                                               net::use_awaitable);
  co_await std::move(durable);
}

namespace {

net::awaitable<http::reply> serve(routes& api, fault_injector& faults, store& data, std::chrono::milliseconds latency,
                                  http::request request) {
  http::reply out = serve_request(api, faults, latency, request);
  if (request.method != "GET") co_await wait_durable(data);
  co_return out;
}

}  // namespace

http::reply_handler make_handler(routes& api, fault_injector& faults, store& data, std::chrono::milliseconds latency) {
  return [&api, &faults, &data, latency](http::request request) {
    return serve(api, faults, data, latency, std::move(request));
  };
}

}  // namespace idabus::emulator
