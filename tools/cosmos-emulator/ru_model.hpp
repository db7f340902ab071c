#pragma once
// ru_model: the request-unit charges the emulator reports in x-ms-request-charge and consumes
// from each partition's throughput budget. Pure functions of operation and size; deterministic
// (the same operation on the same data always costs the same, as in the service).
//
// Formulas (KB = bytes / 1024, sizes below 1 KB count as 1 KB):
//   write(bytes)   = 4.55 + 0.45 * KB            create, upsert that inserts: 5.0 at 1 KB, 49.55 at 100 KB
//   replace(bytes) = 2 * write(bytes)            replace, upsert over an existing document
//   remove(bytes)  = write(stored bytes)         delete
//   read(bytes)    = 0.91 + 0.09 * KB            point read: 1.0 at 1 KB, 9.91 at 100 KB
//   miss           = 1.0                         404 read/replace/delete, 409 conflict, 412 mismatch
//   query page     = 2.5 + sum(read(bytes) of returned documents) + 0.05 * documents scanned and
//                    filtered out (so a 100-document page of 1 KB documents costs 102.5)
//   count page     = 2.5 + 0.01 * documents counted
//   metadata       = 1.0                         databases, collections, offers, pkranges
//   rejected       = 0.0                         requests refused before touching data (400, 413)
// Reference points (cosmos-rest.md §7.5): 1 KB write ~5 RU, 100 KB write ~50 RU, 1 KB read 1 RU,
// 100 KB read 10 RU, replace ~2x create in the bulk sample.

#include <cstddef>
#include <cstdint>

namespace idabus::emulator {

double write_charge(std::size_t bytes) noexcept;
double replace_charge(std::size_t bytes) noexcept;
double delete_charge(std::size_t stored_bytes) noexcept;
double read_charge(std::size_t bytes) noexcept;
double miss_charge() noexcept;
double metadata_charge() noexcept;

/// Per-page base of every query (also charged for an empty page).
double query_page_base_charge() noexcept;
/// What one document scanned by a filter but not returned adds to a query page.
double query_scanned_charge() noexcept;
/// Charge of a `SELECT VALUE COUNT(1)` page that counted `documents`.
double count_charge(std::uint64_t documents) noexcept;

}  // namespace idabus::emulator
