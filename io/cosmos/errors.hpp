#pragma once
// cosmos_error: a Cosmos DB request that failed with an HTTP status the client does not retry
// (or stopped retrying). It carries what an operator needs to act: the operation ("upsert
// document"), the resource link ("dbs/idabus/colls/Resources"), the HTTP status and substatus,
// the activity id (for Microsoft support) and the server's own message. It never carries the key,
// the authorization header or a document body.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace idabus::io::cosmos {

struct error_details {
  std::string operation;      ///< e.g. "query documents"
  std::string resource_link;  ///< e.g. "dbs/idabus/colls/Resources"
  unsigned status = 0;        ///< HTTP status
  int substatus = 0;          ///< x-ms-substatus, 0 when absent
  std::string activity_id;    ///< x-ms-activity-id, may be empty
  std::string server_message; ///< "message" of the server's JSON error body (or a short excerpt of a non-JSON body)
};

class cosmos_error : public std::runtime_error {
 public:
  explicit cosmos_error(error_details details);

  const error_details& details() const noexcept { return details_; }
  unsigned status() const noexcept { return details_.status; }
  int substatus() const noexcept { return details_.substatus; }

 private:
  error_details details_;
};

/// "<operation> on <link> failed: HTTP <status>[/<substatus>] <reason>: <server message> (activity id <id>)".
std::string describe(const error_details& details);

/// The short name of a status ("Conflict", "Precondition Failed", "Too Many Requests", ...).
std::string_view status_reason(unsigned status) noexcept;

/// Extracts the server's message from an error body: the "message" member of a JSON object
/// (Cosmos: {"code":"...","message":"..."}), else the first 200 bytes of the body, with control
/// characters replaced by spaces.
std::string server_message_of(std::string_view body);

}  // namespace idabus::io::cosmos
