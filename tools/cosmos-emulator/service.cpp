#include "tools/cosmos-emulator/service.hpp"

namespace idabus::emulator {

namespace http = io::http;
namespace net = boost::asio;

http::reply serve_request(routes& api, fault_injector& faults, store& data, std::chrono::milliseconds latency,
                          const http::request& request) {
  http::reply out;
  out.delay = latency;
  if (auto denied = api.authorize(request)) {
    out.message = std::move(*denied);
    return out;
  }
  std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  bool account_read = request.method == "GET" && (path.empty() || path == "/");
  fault f = account_read ? fault::none : faults.next();
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
  if (request.method != "GET") data.flush();
  if (f == fault::reset) out.how = http::delivery::reset_mid_body;
  return out;
}

http::head_check make_head_check(const routes& api) {
  return [&api](const http::request& head) { return api.authorize(head); };
}

http::reply_handler make_handler(routes& api, fault_injector& faults, store& data, std::chrono::milliseconds latency) {
  return [&api, &faults, &data, latency](http::request request) -> net::awaitable<http::reply> {
    co_return serve_request(api, faults, data, latency, request);
  };
}

}  // namespace idabus::emulator
