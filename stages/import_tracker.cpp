#include "stages/import_tracker.hpp"

#include "io/cosmos/epk.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace idabus::stages {

namespace {

[[noreturn]] void misuse(const std::string& what) { throw std::invalid_argument("import_tracker: " + what); }

}  // namespace

import_tracker::import_tracker(std::vector<io::files::import_input_file> files, std::vector<epk_range> ranges,
                               const io::files::import_checkpoint* resume)
    : files_(std::move(files)), ranges_(std::move(ranges)) {
  if (ranges_.empty()) ranges_.push_back(epk_range{"", "FF"});
  in_flight_.resize(ranges_.size());
  positions_.assign(ranges_.size(), 0);
  starts_.reserve(files_.size());
  for (const auto& f : files_) {
    starts_.push_back(total_);
    total_ += f.documents;
  }
  if (resume) {
    if (resume->position > total_) misuse("the checkpoint's position is beyond the input");
    resume_position_ = resume->position;
    resume_ranges_ = resume->ranges;
    floor_ = resume_position_;
    for (const auto& r : resume_ranges_) floor_ = std::min(floor_, r.completed);
    if (resume_ranges_.empty()) floor_ = 0;
  }
}

bool import_tracker::done_before(std::uint64_t ticket, std::string_view epk) const {
  if (epk.empty()) return ticket < resume_position_;
  for (const auto& r : resume_ranges_) {
    if (io::cosmos::epk_in_range(epk, r.min, r.max)) return ticket < r.completed;
  }
  return false;
}

void import_tracker::next(std::size_t range, std::uint64_t ticket) {
  if (ticket < positions_[range] || ticket >= total_) {
    misuse("document " + std::to_string(ticket) + " of range " + std::to_string(range) +
           " reported out of order (expected " + std::to_string(positions_[range]) + " or later, of " +
           std::to_string(total_) + ")");
  }
  passed(range, ticket + 1);
}

void import_tracker::passed(std::size_t range, std::uint64_t position) {
  if (range >= positions_.size()) misuse("no range " + std::to_string(range));
  if (position < positions_[range] || position > total_) {
    misuse("range " + std::to_string(range) + " cannot pass " + std::to_string(position) + " from " +
           std::to_string(positions_[range]));
  }
  const bool was_smallest = positions_[range] == position_;
  positions_[range] = position;
  if (was_smallest) position_ = *std::min_element(positions_.begin(), positions_.end());
}

std::size_t import_tracker::range_of(std::string_view epk) const {
  for (std::size_t i = 0; i < ranges_.size(); ++i) {
    if (io::cosmos::epk_in_range(epk, ranges_[i].min, ranges_[i].max)) return i;
  }
  misuse("no range holds effective partition key " + std::string(epk));
}

void import_tracker::skipped(std::uint64_t ticket, std::string_view epk) {
  next(range_index(epk), ticket);
  ++counts_.skipped;
}

void import_tracker::skipped_unread(std::uint64_t first, std::uint64_t end) {
  if (first < positions_[0] || end < first || end > total_) {
    misuse("documents " + std::to_string(first) + " to " + std::to_string(end) + " skipped out of order");
  }
  counts_.skipped += end - first;
  passed(0, end);
}

void import_tracker::refused(std::uint64_t ticket, io::files::import_reject reject) {
  next(0, ticket);
  ++counts_.rejected;
  const auto where = locate(ticket);
  reject.file = files_[where.file].file;
  reject.index = where.index;
  rejections_.emplace(ticket, pending_reject{no_range, std::move(reject)});
}

void import_tracker::sent(std::uint64_t ticket, std::string_view epk, std::uint64_t bytes) {
  const std::size_t range = range_of(epk);
  next(range, ticket);
  in_flight_[range].insert(ticket);
  flights_.emplace(ticket, flight{range, bytes});
  ++counts_.sent;
}

void import_tracker::finish(std::uint64_t ticket, bool written, io::files::import_reject* reject) {
  const auto it = flights_.find(ticket);
  if (it == flights_.end()) misuse("document " + std::to_string(ticket) + " finished but not in flight");
  const flight f = it->second;
  flights_.erase(it);
  in_flight_[f.range].erase(ticket);
  if (written) {
    ++counts_.written;
    counts_.bytes_written += f.bytes;
    return;
  }
  ++counts_.rejected;
  const auto where = locate(ticket);
  reject->file = files_[where.file].file;
  reject->index = where.index;
  rejections_.emplace(ticket, pending_reject{f.range, std::move(*reject)});
}

void import_tracker::written(std::uint64_t ticket) { finish(ticket, true, nullptr); }

void import_tracker::rejected(std::uint64_t ticket, io::files::import_reject reject) { finish(ticket, false, &reject); }

std::uint64_t import_tracker::range_progress(std::size_t range) const {
  return in_flight_[range].empty() ? positions_[range] : *in_flight_[range].begin();
}

std::vector<io::files::import_range_progress> import_tracker::progress() const {
  std::vector<io::files::import_range_progress> out;
  out.reserve(ranges_.size());
  for (std::size_t i = 0; i < ranges_.size(); ++i) {
    out.push_back(io::files::import_range_progress{ranges_[i].min, ranges_[i].max, range_progress(i)});
  }
  return out;
}

import_tracker::location import_tracker::locate(std::uint64_t ticket) const {
  if (ticket >= total_) misuse("document " + std::to_string(ticket) + " is not in the input of " + std::to_string(total_));
  // The last file starting at or before the ticket (empty files share their start with the next).
  auto it = std::upper_bound(starts_.begin(), starts_.end(), ticket);
  const auto file = static_cast<std::size_t>(std::distance(starts_.begin(), it) - 1);
  return location{file, ticket - starts_[file]};
}

std::vector<io::files::import_reject> import_tracker::take_settled_rejections() {
  std::vector<io::files::import_reject> out;
  for (auto it = rejections_.begin(); it != rejections_.end();) {
    const std::uint64_t covered = it->second.range == no_range ? position_ : range_progress(it->second.range);
    if (it->first < covered) {
      out.push_back(std::move(it->second.reject));
      it = rejections_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace idabus::stages
