#pragma once
// tenant_gen: the pipeline and the entry function of tenant-gen (DESIGN §12).
//
//   per collection: run_generate (documents in order, CPU-light)
//     -> channel<write_document> (bounded, options.channel_capacity documents)
//     -> stages::run_write_lanes (routed by EPK to one lane per partition key range,
//        options.writers bulk requests in flight per range, batches of ≤ options.batch operations
//        cut to a slice of the range's share of the offer)
//   the three collections at once, plus a progress stage that reports at most once a second.
//
// Collections are created first (database, then Resources /objecttype, Events /id,
// WorkflowExecutions /id; options.throughput applies to collections it creates). Documents are
// upserted, so running it twice with the same seed leaves the same tenant.
// RU: every request goes through the ru_budget_gate given (when not null): run_tenant reads each
// collection's offer and tells the gate (set_provisioned), so every range is paced at
// offer ÷ ranges, under the gate's job-wide cap (--ru-budget). Per-operation failures in a bulk
// response are counted (never dropped) and the first one is named; a request that fails as a
// whole (after the client's retries) ends the run with an error. Everything runs on the caller's
// single-threaded executor (the HTTP client is not thread-safe). Cancellation: cancelling
// run_tenant cancels every stage; writes already sent stay written.

#include "io/cosmos/client.hpp"
#include "stages/ru_budget_gate.hpp"
#include "tools/tenant-gen/generator.hpp"
#include "tools/tenant-gen/options.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace idabus::tenant_gen {

namespace net = boost::asio;

enum class exit_code : int {
  ok = 0,
  bad_command_line = 2,
  cosmos_failure = 3,    ///< connection/auth failure or a Cosmos error that stopped the run
  documents_failed = 4,  ///< the run finished but the server rejected some documents
  interrupted = 130,     ///< SIGINT/SIGTERM
};

struct run_summary {
  std::array<std::uint64_t, 3> written{};  ///< per collection_kind
  std::uint64_t failed = 0;                ///< documents the server rejected
  std::string first_failure;               ///< "<collection> <id>: HTTP <status>/<sub> <message>"
  double total_ru = 0;                     ///< sum of the charges reported per operation
  std::uint64_t throttled_operations = 0;  ///< bulk operations answered 429 (each re-sent)
  std::uint64_t operations = 0;            ///< bulk operations sent, re-sends included
  double seconds = 0;

  std::uint64_t total_written() const noexcept { return written[0] + written[1] + written[2]; }
};

/// One progress line: "tenant-gen: 1200/2000 documents, 450 RU/s, 3 operations throttled (429)".
using progress_function = std::function<void(std::string_view)>;

/// Creates the collections and writes the tenant; see the file comment. `gate` (optional) is the
/// gate `client` spends through. Throws cosmos_error / transport_error / pipeline::stage_error on
/// a failure that stops the run.
net::awaitable<run_summary> run_tenant(tenant_options options, io::cosmos::client& client,
                                       stages::ru_budget_gate* gate, progress_function progress);

/// The summary line: "tenant-gen: wrote Resources=1400 Events=400 WorkflowExecutions=200
/// (2000 documents), 12345.6 RU, 3 of 2003 operations throttled (429), 3.21 s, 623 docs/s".
std::string summary_line(const run_summary& summary);

/// The whole program: parses `args` (argv[1..]), runs on its own io_context, prints progress and
/// errors ("tenant-gen: <cause>") to `err`, the summary to `out`, and returns the exit code.
/// Never prints the account key. SIGINT/SIGTERM cancel the run (exit 130; a second signal stops
/// at once); upserts make a rerun with the same seed complete the tenant.
int tenant_gen_main(std::span<const std::string_view> args, std::ostream& out, std::ostream& err);

}  // namespace idabus::tenant_gen
