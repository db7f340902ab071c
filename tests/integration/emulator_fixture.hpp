#pragma once
// Helpers shared by the integration tests: a running cosmos-emulator child process, a temporary
// directory that removes itself (support/temp_dir.hpp), and a Cosmos client session on a run_coro io_context.
// The emulator is always stopped (SIGTERM, then SIGKILL) when its object goes away.

#include "io/cosmos/client.hpp"
#include "io/cosmos/connection_string.hpp"
#include "io/cosmos/parallel_query.hpp"
#include "io/http/client.hpp"
#include "support/child_process.hpp"
#include "support/cosmos_emulator.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace idabus::test::integration {

namespace net = boost::asio;
namespace cosmos = idabus::io::cosmos;
namespace http = idabus::io::http;

using test::emulator_key;

/// The cosmos-emulator built with the tests, on 127.0.0.1 with an ephemeral port and the given
/// extra arguments.
struct emulator : test::cosmos_emulator {
  explicit emulator(std::vector<std::string> extra = {})
      : cosmos_emulator(idabus::test::program_path("cosmos-emulator"), std::move(extra)) {}
};

using test::temp_dir;

/// An http client and a Cosmos client for one connection string, on the caller's io_context.
struct session {
  session(net::io_context& ctx, const std::string& connection, cosmos::client_options options = {},
          http::client_options http_base = {})
      : cs(cosmos::parse_connection_string(connection)),
        http_client(ctx.get_executor(), cosmos::endpoint_of(cs), cosmos::http_options_for(cs, http_base)),
        client(http_client, cs, std::move(options)) {}
  cosmos::connection_string cs;
  http::client http_client;
  cosmos::client client;
};

/// A page sink must return an awaitable; collecting is synchronous, so it returns this one.
inline net::awaitable<void> nothing_to_await() { co_return; }

/// Every document of a collection (id -> raw bytes) read with the all-ranges parallel query;
/// `duplicates` counts ids seen more than once.
struct collected {
  std::map<std::string, std::string> raw_by_id;
  std::size_t duplicates = 0;
  std::size_t documents = 0;
  cosmos::parallel_query_stats stats;
};

/// `query` with empty text means "SELECT * FROM c". (No default argument: GCC 12 corrupts a
/// coroutine parameter initialised from a default `{}`.)
inline net::awaitable<collected> collect_all(cosmos::client& client, std::string database, std::string collection,
                                             std::string partition_key_path, cosmos::query_spec query) {
  collected out;
  cosmos::page_request request;
  request.database = std::move(database);
  request.collection = std::move(collection);
  if (query.text.empty()) query.text = "SELECT * FROM c";
  request.query = std::move(query);
  request.partition_key_path = std::move(partition_key_path);
  request.max_item_count = 200;
  cosmos::page_sink sink = [&out](cosmos::query_page page) {
    for (const auto& d : page.documents) {
      ++out.documents;
      const std::string id = d.fields.id.value_or("<no id>");
      if (!out.raw_by_id.emplace(id, std::string(d.raw)).second) ++out.duplicates;
    }
    return nothing_to_await();
  };
  cosmos::parallel_query_options options;
  options.max_concurrency = 4;
  out.stats = co_await cosmos::query_all_ranges(client, std::move(request), options, std::move(sink));
  co_return out;
}

/// The collection the client tests write: `itest`/`Resources`, partitioned by /objecttype.
namespace itest {
inline const std::string db = "itest";
inline const std::string coll = "Resources";
inline const std::string pk_path = "/objecttype";
inline const cosmos::query_spec select_all{"SELECT * FROM c", {}};

/// Creates the database and the collection unless they exist.
inline net::awaitable<void> setup_collection(cosmos::client& client) {
  co_await client.create_database_if_missing(db);
  co_await client.create_collection_if_missing(db, coll, pk_path);
}
}  // namespace itest

}  // namespace idabus::test::integration
