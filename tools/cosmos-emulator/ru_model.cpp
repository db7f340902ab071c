#include "tools/cosmos-emulator/ru_model.hpp"

#include <algorithm>

namespace idabus::emulator {

namespace {

double kilobytes(std::size_t bytes) noexcept {
  return std::max(1.0, static_cast<double>(bytes) / 1024.0);
}

}  // namespace

double write_charge(std::size_t bytes) noexcept { return 4.55 + 0.45 * kilobytes(bytes); }

double replace_charge(std::size_t bytes) noexcept { return 2.0 * write_charge(bytes); }

double delete_charge(std::size_t stored_bytes) noexcept { return write_charge(stored_bytes); }

double read_charge(std::size_t bytes) noexcept { return 0.91 + 0.09 * kilobytes(bytes); }

double miss_charge() noexcept { return 1.0; }

double metadata_charge() noexcept { return 1.0; }

double query_page_base_charge() noexcept { return 2.5; }

double query_scanned_charge() noexcept { return 0.05; }

double count_charge(std::uint64_t documents) noexcept {
  return query_page_base_charge() + 0.01 * static_cast<double>(documents);
}

}  // namespace idabus::emulator
