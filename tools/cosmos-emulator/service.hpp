#pragma once
// service: the emulator's request handler for io::http::server — authorization, fault injection,
// routing, persistence and added latency, in that order:
//   1. a request that fails authorization gets its 401/403 (no fault is injected);
//   2. the fault injector may answer 429 (x-ms-retry-after-ms, x-ms-substatus 3200) or 503
//      without executing anything, or mark the reply to be reset mid-response after executing;
//   3. routes::handle executes it;
//   4. (make_handler) the answer to a request that may have changed data (not a GET) waits until
//      the store's log made the change durable: the coroutine suspends while the log's commit
//      thread writes and fdatasyncs its group (at once without --data-dir), so the I/O threads
//      never block on the disk;
//   5. the reply waits `latency` before it is written.
// The account read (GET /) is exempt from injected faults so that clients can always start.
// make_head_check gives the server the authorization step on the request head alone, so that a
// request without valid credentials is answered before a byte of its body is read (the signature
// covers verb, resource and date, never the body); serve_request still authorizes on its own.

#include "io/http/server.hpp"
#include "tools/cosmos-emulator/faults.hpp"
#include "tools/cosmos-emulator/routes.hpp"
#include "tools/cosmos-emulator/store.hpp"

#include <chrono>

namespace idabus::emulator {

/// The reply for one request, steps 1-3 and 5 of the file comment. Thread-safe.
io::http::reply serve_request(routes& api, fault_injector& faults, std::chrono::milliseconds latency,
                              const io::http::request& request);

/// A head check for io::http::server: routes::authorize on the head. `api` must outlive the server.
io::http::head_check make_head_check(const routes& api);

/// Resumes once every change applied to `data` so far is durable (store::when_durable) on the
/// awaiting coroutine's executor; throws the log's error if it could not be written. Not
/// cancellable: a cancelled session resumes after the group's sync.
boost::asio::awaitable<void> wait_durable(store& data);

/// A handler for io::http::server: serve_request, then wait_durable for requests other than GET.
/// The three objects must outlive the server.
io::http::reply_handler make_handler(routes& api, fault_injector& faults, store& data,
                                     std::chrono::milliseconds latency);

}  // namespace idabus::emulator
