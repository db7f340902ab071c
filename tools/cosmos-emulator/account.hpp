#pragma once
// account: the DatabaseAccount resource served at `GET /` (endpoint discovery). It advertises the
// emulator's own endpoint as the single writable and readable location, so SDKs that follow
// writableLocations keep talking to the emulator. The account id is not "localhost": the JS SDK
// ignores the locations of an account called "localhost".

#include <string>
#include <string_view>

namespace idabus::emulator {

/// The endpoint clients should use: `<scheme>://<host header or fallback host:port>/`.
/// `host_header` is the request's Host header (may be empty).
std::string advertised_endpoint(bool tls, std::string_view host_header, std::string_view host, unsigned port);

/// The account JSON: id, _rid, _self "", _dbs, media, writable/readable locations (one, named
/// "emulator", at `endpoint`), enableMultipleWriteLocations false, userConsistencyPolicy Session,
/// replication and read policies, and queryEngineConfiguration (a JSON text inside a string).
std::string account_body(std::string_view endpoint);

}  // namespace idabus::emulator
