#include "tools/cosmos-emulator/account.hpp"

namespace idabus::emulator {

namespace {

// Host headers come from clients: keep only characters that can appear in host[:port].
bool plausible_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string advertised_endpoint(bool tls, std::string_view host_header, std::string_view host, unsigned port) {
  std::string out = tls ? "https://" : "http://";
  if (plausible_host(host_header)) {
    out += host_header;
  } else {
    std::string h(host);
    if (h == "0.0.0.0" || h == "::") h = "127.0.0.1";
    if (h.find(':') != std::string::npos) h = "[" + h + "]";
    out += h + ":" + std::to_string(port);
  }
  out += "/";
  return out;
}

std::string account_body(std::string_view endpoint) {
  std::string location = "{\"name\":\"emulator\",\"databaseAccountEndpoint\":\"";
  location += endpoint;
  location += "\"}";
  std::string body;
  body.reserve(1024);
  body += "{\"_self\":\"\",\"id\":\"cosmos-emulator\",\"_rid\":\"cosmos-emulator\",";
  body += "\"media\":\"//media/\",\"addresses\":\"//addresses/\",\"_dbs\":\"//dbs/\",";
  body += "\"writableLocations\":[" + location + "],";
  body += "\"readableLocations\":[" + location + "],";
  body += "\"enableMultipleWriteLocations\":false,";
  body += "\"userReplicationPolicy\":{\"asyncReplication\":false,\"minReplicaSetSize\":1,\"maxReplicasetSize\":4},";
  body += "\"userConsistencyPolicy\":{\"defaultConsistencyLevel\":\"Session\"},";
  body += "\"systemReplicationPolicy\":{\"minReplicaSetSize\":1,\"maxReplicasetSize\":4},";
  body += "\"readPolicy\":{\"primaryReadCoefficient\":1,\"secondaryReadCoefficient\":1},";
  body += "\"queryEngineConfiguration\":\"{\\\"maxSqlQueryInputLength\\\":262144,\\\"maxJoinsPerSqlQuery\\\":5,"
          "\\\"maxLogicalAndPerSqlQuery\\\":500,\\\"maxLogicalOrPerSqlQuery\\\":500,"
          "\\\"maxUdfRefPerSqlQuery\\\":10,\\\"maxInExpressionItemsCount\\\":16000,"
          "\\\"queryMaxInMemorySortDocumentCount\\\":500,\\\"maxQueryRequestTimeoutFraction\\\":0.9,"
          "\\\"sqlAllowNonFiniteNumbers\\\":false,\\\"sqlAllowAggregateFunctions\\\":true,"
          "\\\"sqlAllowSubQuery\\\":true,\\\"sqlAllowScalarSubQuery\\\":true,\\\"allowNewKeywords\\\":true,"
          "\\\"sqlAllowLike\\\":false,\\\"sqlAllowGroupByClause\\\":false,\\\"maxSpatialQueryCells\\\":12,"
          "\\\"spatialMaxGeometryPointCount\\\":256,\\\"sqlAllowTop\\\":false,\\\"enableSpatialIndexing\\\":true}\"";
  body += "}";
  return body;
}

}  // namespace idabus::emulator
