#pragma once
// run_read_pages: the source stage of the backup pipeline.
//
// - Consumes: nothing; calls `source` once with a sink. For a backup, `source` is
//   all_ranges_source(): every physical partition key range of one collection read in parallel
//   (io/cosmos/parallel_query query_all_ranges: one paged query per range, each with its own
//   continuation token; pages of one range in order, ranges interleaved).
// - Produces: every page (raw documents that point into the page's body, never re-serialized)
//   on `out`, counted in `counters` (items = pages, bytes = body bytes). A full `out` suspends
//   the sink, which holds that range's reader back: that is the backpressure up to the server.
// - Ends: when the source returns; then `stats` holds its statistics and out.finish() is called.
// - Executor: the caller's (the Cosmos client's); the sink runs there.
// - Cancellation: cancelling the stage cancels the source's requests and a send blocked on
//   `out`; it then throws operation_aborted without finishing `out`.
// - Throws what the source throws (cosmos_error, transport_error, parse_error), without
//   finishing `out`.

#include "io/cosmos/parallel_query.hpp"
#include "pipeline/channel.hpp"
#include "pipeline/stage_stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace idabus::stages {

namespace net = boost::asio;

/// Runs a query and hands each page to the sink; returns the query's statistics.
using page_source = std::function<net::awaitable<io::cosmos::parallel_query_stats>(io::cosmos::page_sink)>;

/// The source reading every range of `request`'s collection in parallel. `client` is borrowed.
page_source all_ranges_source(io::cosmos::client& client, io::cosmos::page_request request,
                              io::cosmos::parallel_query_options options);

net::awaitable<void> run_read_pages(page_source source, pipeline::channel<io::cosmos::query_page>& out,
                                    pipeline::stage_counters& counters, io::cosmos::parallel_query_stats& stats);

}  // namespace idabus::stages
