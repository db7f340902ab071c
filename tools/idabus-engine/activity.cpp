#include "tools/idabus-engine/activity.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace idabus::engine {

activity_counter::activity_counter(net::any_io_executor executor) : idle_(std::move(executor)) {}

void activity_counter::leave() {
  if (--count_ == 0) idle_.cancel();
}

net::awaitable<bool> activity_counter::drain(std::chrono::steady_clock::time_point deadline) {
  while (count_ > 0 && std::chrono::steady_clock::now() < deadline) {
    idle_.expires_at(deadline);
    auto r = co_await idle_.async_wait(net::as_tuple(net::use_awaitable));
    (void)r;
    auto state = co_await net::this_coro::cancellation_state;
    if (state.cancelled() != net::cancellation_type::none) throw boost::system::system_error(net::error::operation_aborted);
  }
  co_return count_ == 0;
}

}  // namespace idabus::engine
