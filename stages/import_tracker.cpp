#include "stages/import_tracker.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace idabus::stages {

import_tracker::import_tracker(std::vector<io::files::import_input_file> files, std::uint64_t completed)
    : files_(std::move(files)), watermark_(completed) {
  starts_.reserve(files_.size());
  for (const auto& f : files_) {
    starts_.push_back(total_);
    total_ += f.documents;
  }
  if (completed > total_) {
    throw std::invalid_argument("import_tracker: " + std::to_string(completed) + " documents completed of " +
                                std::to_string(total_));
  }
}

void import_tracker::check(std::uint64_t ticket) const {
  if (ticket >= total_) {
    throw std::invalid_argument("import_tracker: document " + std::to_string(ticket) + " is not in the input of " +
                                std::to_string(total_));
  }
}

void import_tracker::sent(std::uint64_t ticket, std::uint64_t bytes) {
  check(ticket);
  if (!in_flight_bytes_.emplace(ticket, bytes).second) {
    throw std::invalid_argument("import_tracker: document " + std::to_string(ticket) + " sent twice");
  }
  ++counts_.sent;
}

void import_tracker::written(std::uint64_t ticket) {
  check(ticket);
  watermark_.complete(ticket);
  ++counts_.written;
  if (auto it = in_flight_bytes_.find(ticket); it != in_flight_bytes_.end()) {
    counts_.bytes_written += it->second;
    in_flight_bytes_.erase(it);
  }
}

void import_tracker::rejected(std::uint64_t ticket, io::files::import_reject reject) {
  check(ticket);
  watermark_.complete(ticket);
  ++counts_.rejected;
  in_flight_bytes_.erase(ticket);
  const auto where = locate(ticket);
  reject.file = files_[where.file].file;
  reject.index = where.index;
  rejections_.emplace(ticket, std::move(reject));
}

import_tracker::location import_tracker::locate(std::uint64_t ticket) const {
  check(ticket);
  // The last file starting at or before the ticket (empty files share their start with the next).
  auto it = std::upper_bound(starts_.begin(), starts_.end(), ticket);
  const auto file = static_cast<std::size_t>(std::distance(starts_.begin(), it) - 1);
  return location{file, ticket - starts_[file]};
}

std::vector<io::files::import_reject> import_tracker::take_settled_rejections() {
  std::vector<io::files::import_reject> out;
  const auto end = rejections_.lower_bound(completed());
  for (auto it = rejections_.begin(); it != end; ++it) out.push_back(std::move(it->second));
  rejections_.erase(rejections_.begin(), end);
  return out;
}

}  // namespace idabus::stages
