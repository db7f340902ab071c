#include "pipeline/cpu_pool.hpp"

#include <algorithm>
#include <thread>

namespace idabus::pipeline {

namespace {

std::size_t resolve_threads(std::size_t requested) {
  if (requested > 0) return requested;
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

cpu_pool::cpu_pool(cpu_pool_options options)
    : threads_(resolve_threads(options.threads)), name_(std::move(options.name)), pool_(threads_) {}

cpu_pool::~cpu_pool() { join(); }

void cpu_pool::join() { pool_.join(); }

}  // namespace idabus::pipeline
