#include "tools/idabus-engine/store.hpp"

#include "io/cosmos/errors.hpp"
#include "io/cosmos/parallel_query.hpp"

namespace idabus::engine {

namespace {

std::vector<io::cosmos::pk_component> key_of(std::string value) { return {io::cosmos::pk_component(std::move(value))}; }

stored_document to_stored(io::cosmos::document_response r) { return {std::move(r.body), std::move(r.etag)}; }

net::awaitable<void> done() { co_return; }

}  // namespace

store::store(io::cosmos::client& client, cosmos_settings names) : client_(client), names_(std::move(names)) {}

net::awaitable<void> store::ensure_collections() {
  co_await client_.create_database_if_missing(names_.database);
  co_await client_.create_collection_if_missing(names_.database, names_.resources, "/objecttype");
  co_await client_.create_collection_if_missing(names_.database, names_.events, "/id");
  co_await client_.create_collection_if_missing(names_.database, names_.workflow_executions, "/id");
}

net::awaitable<std::optional<stored_document>> store::read_event(std::string id) {
  auto r = co_await client_.read_document(names_.database, names_.events, id, key_of(id));
  if (!r) co_return std::nullopt;
  co_return to_stored(std::move(*r));
}

net::awaitable<stored_document> store::upsert_event(std::string id, std::string body) {
  auto r = co_await client_.upsert_document(names_.database, names_.events, std::move(body), key_of(std::move(id)));
  co_return to_stored(std::move(r));
}

net::awaitable<std::optional<stored_document>> store::create_event(std::string id, std::string body) {
  // The client has no plain create; a one-operation bulk create has create-only semantics.
  io::cosmos::bulk_operation op;
  op.type = io::cosmos::bulk_operation_type::create;
  op.partition_key = key_of(id);
  op.id = id;
  op.body = body;
  std::vector<io::cosmos::bulk_operation> ops;
  ops.push_back(std::move(op));
  auto results = co_await client_.bulk(names_.database, names_.events, std::move(ops));
  const auto& r = results.at(0);
  if (r.status == 409) co_return std::nullopt;
  if (r.status != 201 && r.status != 200) {
    io::cosmos::error_details d;
    d.operation = "create document";
    d.resource_link = "dbs/" + names_.database + "/colls/" + names_.events + "/docs/" + id;
    d.status = r.status;
    d.substatus = r.substatus;
    d.server_message = r.message;
    throw io::cosmos::cosmos_error(std::move(d));
  }
  co_return stored_document{std::move(body), r.etag};
}

net::awaitable<std::optional<stored_document>> store::replace_event(std::string id, std::string body,
                                                                    std::string if_match) {
  try {
    auto r = co_await client_.replace_document(names_.database, names_.events, id, std::move(body), key_of(id),
                                               std::move(if_match));
    co_return to_stored(std::move(r));
  } catch (const io::cosmos::cosmos_error& e) {
    if (e.status() != 412 && e.status() != 404) throw;
  }
  co_return std::nullopt;
}

net::awaitable<std::vector<std::string>> store::query_events(io::cosmos::query_spec query) {
  std::vector<std::string> out;
  io::cosmos::page_request request;
  request.database = names_.database;
  request.collection = names_.events;
  request.query = std::move(query);
  request.partition_key_path = "/id";
  io::cosmos::page_sink sink = [&out](io::cosmos::query_page page) {
    for (const auto& d : page.documents) out.emplace_back(d.raw);
    return done();
  };
  io::cosmos::parallel_query_options options;
  options.max_concurrency = 4;
  co_await io::cosmos::query_all_ranges(client_, std::move(request), options, std::move(sink));
  co_return out;
}

net::awaitable<std::optional<stored_document>> store::read_resource(std::string objecttype, std::string id) {
  auto r = co_await client_.read_document(names_.database, names_.resources, std::move(id), key_of(std::move(objecttype)));
  if (!r) co_return std::nullopt;
  co_return to_stored(std::move(*r));
}

net::awaitable<stored_document> store::upsert_resource(std::string objecttype, std::string body) {
  auto r = co_await client_.upsert_document(names_.database, names_.resources, std::move(body), key_of(std::move(objecttype)));
  co_return to_stored(std::move(r));
}

net::awaitable<bool> store::delete_resource(std::string objecttype, std::string id) {
  co_return co_await client_.delete_document(names_.database, names_.resources, std::move(id), key_of(std::move(objecttype)));
}

net::awaitable<stored_document> store::upsert_execution(std::string id, std::string body) {
  auto r = co_await client_.upsert_document(names_.database, names_.workflow_executions, std::move(body),
                                            key_of(std::move(id)));
  co_return to_stored(std::move(r));
}

}  // namespace idabus::engine
