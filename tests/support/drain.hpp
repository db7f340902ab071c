#pragma once
// drain_into: a test stage that takes every item out of a reorder_buffer, in order, until it is
// closed, and keeps them for the test to check.

#include "pipeline/reorder_buffer.hpp"

#include <boost/asio/awaitable.hpp>

#include <utility>
#include <vector>

namespace idabus::test {

template <class T>
boost::asio::awaitable<void> drain_into(pipeline::reorder_buffer<T>& in, std::vector<T>& into) {
  while (auto item = co_await in.next()) into.push_back(std::move(*item));
}

}  // namespace idabus::test
