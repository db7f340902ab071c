#pragma once
// The two readers of `importTool --compare`, both feeding document_comparison:
//
// load_expected(files, partition_key_path): every document of the restore files, in the order
//   given (ascending sequence), read one at a time through io/files/restore_file and added to an
//   expected_documents as key and content digests; sealed on return. Blocking (file I/O): call it
//   before the io_context runs. Throws io::files::restore_file_error naming the file and offset,
//   io::json::parse_error for a document the canonical writer rejects.
// name_missing(files, partition_key_path, sample): the key texts of the sampled missing keys,
//   found by reading the restore files again (only when something is missing). Blocking.
//
// run_compare_pages(source, cpu, into): the collection side. `source` is the parallel per-range
//   reader (stages::all_ranges_source: one paged query per partition key range, ranges read
//   together under the client's RU gate). Each page's content digests are computed on `cpu` (one
//   canonical writer per pool thread); `into` is then fed on the caller's executor, so
//   `into` needs no lock. A page waiting for its hop holds its range's reader back: at most one
//   page per range is in memory (the parallel query's contract), so memory is bounded by the
//   number of workers × the page size, not by the collection.
//   Ends when every range is read; returns the query's statistics. Cancellation: cancels the
//   source's requests (a hop already running finishes first) and throws operation_aborted.
//   Throws what the source throws and io::json::parse_error for a malformed document.

#include "io/cosmos/parallel_query.hpp"
#include "pipeline/cpu_pool.hpp"
#include "stages/read_pages.hpp"
#include "tools/importTool/document_comparison.hpp"

#include <boost/asio/awaitable.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace idabus::import_tool {

namespace net = boost::asio;

expected_documents load_expected(const std::vector<std::filesystem::path>& files, std::string partition_key_path);

std::vector<std::string> name_missing(const std::vector<std::filesystem::path>& files, std::string partition_key_path,
                                      const std::vector<digest128>& sample);

net::awaitable<io::cosmos::parallel_query_stats> run_compare_pages(stages::page_source source, pipeline::cpu_pool& cpu,
                                                                   comparison& into);

}  // namespace idabus::import_tool
