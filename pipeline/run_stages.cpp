#include "pipeline/run_stages.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <utility>

namespace idabus::pipeline {

stage_error::stage_error(std::string stage, const std::string& what)
    : std::runtime_error("stage '" + stage + "' failed: " + what), stage_(std::move(stage)) {}

bool is_cancellation(const std::exception_ptr& e) noexcept {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& se) {
    return se.code() == net::error::operation_aborted;
  } catch (...) {
    return false;
  }
}

namespace {

[[noreturn]] void throw_as_stage_error(const std::string& name, const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& original) {
    throw stage_error(name, original.what());
  } catch (...) {
    throw stage_error(name, "unknown exception");
  }
}

}  // namespace

net::awaitable<void> run_stages(std::vector<named_stage> stages) {
  if (stages.empty()) co_return;
  auto executor = co_await net::this_coro::executor;
  using operation = decltype(net::co_spawn(executor, std::declval<net::awaitable<void>>(), net::deferred));
  std::vector<operation> operations;
  operations.reserve(stages.size());
  for (auto& stage : stages) operations.push_back(net::co_spawn(executor, std::move(stage.body), net::deferred));

  auto group = net::experimental::make_parallel_group(std::move(operations));
  auto wait = group.async_wait(net::experimental::wait_for_one_error(), net::use_awaitable);
  auto result = co_await std::move(wait);
  auto& [order, errors] = result;

  std::exception_ptr first_cancellation;
  for (std::size_t index : order) {
    const std::exception_ptr& e = errors[index];
    if (!e) continue;
    if (is_cancellation(e)) {
      if (!first_cancellation) first_cancellation = e;
      continue;
    }
    throw_as_stage_error(stages[index].name, e);
  }
  if (first_cancellation) {
    throw boost::system::system_error(net::error::operation_aborted, "pipeline cancelled");
  }
}

}  // namespace idabus::pipeline
