#include "tools/cosmos-emulator/query.hpp"

#include <boost/algorithm/string/case_conv.hpp>
#include <boost/algorithm/string/predicate.hpp>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <utility>

namespace idabus::emulator {

namespace {

// ---------------------------------------------------------------------------------------------
// Tokens

enum class tok { ident, number, string, param, punct, end };

struct token {
  tok kind = tok::end;
  std::string text;  ///< identifier, punctuation, parameter name (with @), decoded string
  double number = 0;
  std::size_t pos = 0;
};

struct parse_error {
  std::string message;
};

using boost::algorithm::iequals;
using boost::algorithm::to_upper_copy;

std::vector<token> tokenize(std::string_view s) {
  std::vector<token> out;
  std::size_t i = 0;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    token t;
    t.pos = i;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == '$') {
      std::size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      t.kind = tok::ident;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (c == '@') {
      std::size_t j = i + 1;
      while (j < s.size() && ident_char(s[j])) ++j;
      if (j == i + 1) throw parse_error{"expected a parameter name after '@' at position " + std::to_string(i)};
      t.kind = tok::param;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      std::size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == 'e' ||
                              s[j] == 'E' ||
                              ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
        ++j;
      t.kind = tok::number;
      t.text = std::string(s.substr(i, j - i));
      std::size_t used = 0;
      try {
        t.number = std::stod(t.text, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != t.text.size()) throw parse_error{"malformed number '" + t.text + "' at position " + std::to_string(i)};
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string value;
      std::size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          const char e = s[j + 1];
          switch (e) {
            case 'n': value += '\n'; break;
            case 't': value += '\t'; break;
            case 'r': value += '\r'; break;
            case 'b': value += '\b'; break;
            case 'f': value += '\f'; break;
            case 'u': {
              if (j + 5 >= s.size()) throw parse_error{"malformed \\u escape at position " + std::to_string(j)};
              const unsigned cp = static_cast<unsigned>(std::stoul(std::string(s.substr(j + 2, 4)), nullptr, 16));
              if (cp < 0x80) {
                value += static_cast<char>(cp);
              } else if (cp < 0x800) {
                value += static_cast<char>(0xC0 | (cp >> 6));
                value += static_cast<char>(0x80 | (cp & 0x3F));
              } else {
                value += static_cast<char>(0xE0 | (cp >> 12));
                value += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                value += static_cast<char>(0x80 | (cp & 0x3F));
              }
              j += 6;
              continue;
            }
            default: value += e;
          }
          j += 2;
          continue;
        }
        if (s[j] == c) {
          closed = true;
          break;
        }
        value += s[j++];
      }
      if (!closed) throw parse_error{"unterminated string literal at position " + std::to_string(i)};
      t.kind = tok::string;
      t.text = std::move(value);
      i = j + 1;
    } else {
      static constexpr std::string_view two[] = {"!=", "<>", "<=", ">=", "||", "??"};
      t.kind = tok::punct;
      t.text = std::string(1, c);
      for (auto op : two) {
        if (s.substr(i, 2) == op) t.text = std::string(op);
      }
      i += t.text.size();
    }
    out.push_back(std::move(t));
  }
  token end;
  end.kind = tok::end;
  end.pos = s.size();
  out.push_back(end);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

constexpr std::string_view aggregate_names[] = {"COUNT", "SUM", "MIN", "MAX", "AVG"};

bool is_aggregate(std::string_view name) {
  return std::any_of(std::begin(aggregate_names), std::end(aggregate_names),
                     [&](std::string_view a) { return iequals(a, name); });
}

std::string pointer_of(const std::vector<std::string>& segments) {
  std::string p;
  for (const auto& s : segments) {
    p += '/';
    for (char c : s) {
      if (c == '~') p += "~0";
      else if (c == '/') p += "~1";
      else p += c;
    }
  }
  return p;
}

class parser {
 public:
  parser(std::vector<token> tokens, const std::vector<std::pair<std::string, json_scalar>>& params)
      : t_(std::move(tokens)), params_(params) {}

  parsed_query parse() {
    parsed_query q;
    expect_keyword("SELECT");
    if (keyword("TOP")) throw parse_error{"unsupported: TOP"};
    if (keyword("DISTINCT")) throw parse_error{"unsupported: DISTINCT"};
    std::vector<std::pair<std::string, projection_item>> items;  // root identifier + item
    if (keyword("VALUE")) {
      next();
      if (!(peek().kind == tok::ident && iequals(peek().text, "COUNT") && peek(1).text == "(")) {
        throw parse_error{"unsupported: SELECT VALUE " + describe(peek()) + " (only SELECT VALUE COUNT(1))"};
      }
      next();
      next();
      if (!(peek().kind == tok::number && peek().number == 1 && peek(1).text == ")")) {
        throw parse_error{"unsupported: COUNT(" + describe(peek()) + ") (only COUNT(1))"};
      }
      next();
      next();
      q.select = select_kind::count;
    } else if (punct("*")) {
      next();
      q.select = select_kind::all;
    } else {
      q.select = select_kind::projection;
      for (;;) {
        auto [root, path] = parse_path();
        projection_item item;
        item.path = std::move(path);
        item.output_name = item.path.segments.back();
        if (keyword("AS")) {
          next();
          if (peek().kind != tok::ident) throw parse_error{"expected a name after AS at position " + pos()};
          item.output_name = next().text;
        }
        items.emplace_back(std::move(root), std::move(item));
        if (!punct(",")) break;
        next();
      }
    }
    expect_keyword("FROM");
    if (peek().kind != tok::ident) throw parse_error{"expected a collection alias after FROM at position " + pos()};
    q.alias = next().text;
    if (keyword("AS")) next();
    if (peek().kind == tok::ident && !is_clause_keyword(peek().text)) q.alias = next().text;
    if (keyword("JOIN")) throw parse_error{"unsupported: JOIN"};
    if (keyword("IN")) throw parse_error{"unsupported: IN (iteration in FROM)"};
    for (auto& [root, item] : items) {
      if (root != q.alias) throw parse_error{"unknown alias '" + root + "' in SELECT; expected '" + q.alias + "'"};
      q.projection.push_back(std::move(item));
    }
    if (keyword("WHERE")) {
      next();
      for (;;) {
        q.where.push_back(parse_condition(q.alias));
        if (keyword("AND")) {
          next();
          continue;
        }
        if (keyword("OR")) throw parse_error{"unsupported: OR"};
        break;
      }
    }
    if (peek().kind != tok::end) throw parse_error{trailing_error()};
    return q;
  }

 private:
  const token& peek(std::size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
  const token& next() {
    const token& t = t_[i_];
    if (i_ + 1 < t_.size()) ++i_;
    return t;
  }
  std::string pos() const { return std::to_string(peek().pos); }
  bool keyword(std::string_view k) const { return peek().kind == tok::ident && iequals(peek().text, k); }
  bool punct(std::string_view p) const { return peek().kind == tok::punct && peek().text == p; }
  void expect_keyword(std::string_view k) {
    if (!keyword(k)) throw parse_error{"expected " + std::string(k) + " at position " + pos() + ", found " + describe(peek())};
    next();
  }
  static bool is_clause_keyword(std::string_view s) {
    for (std::string_view k : {"WHERE", "ORDER", "GROUP", "OFFSET", "LIMIT", "JOIN", "AS", "IN"}) {
      if (iequals(s, k)) return true;
    }
    return false;
  }
  static std::string describe(const token& t) {
    switch (t.kind) {
      case tok::end: return "end of query";
      case tok::string: return "'" + t.text + "'";
      default: return t.text;
    }
  }

  std::string trailing_error() const {
    if (keyword("ORDER")) return "unsupported: ORDER BY";
    if (keyword("GROUP")) return "unsupported: GROUP BY";
    if (keyword("OFFSET")) return "unsupported: OFFSET";
    if (keyword("LIMIT")) return "unsupported: LIMIT";
    if (keyword("JOIN")) return "unsupported: JOIN";
    if (keyword("OR")) return "unsupported: OR";
    return "unexpected " + describe(peek()) + " at position " + pos();
  }

  // <alias>.<field>{.<field> | ["field"]}
  std::pair<std::string, field_path> parse_path() {
    const token& t = peek();
    if (t.kind != tok::ident) {
      if (punct("(")) throw parse_error{"unsupported: parentheses / subqueries"};
      throw parse_error{"expected <alias>.<property> at position " + pos() + ", found " + describe(t)};
    }
    if (peek(1).text == "(" && peek(1).kind == tok::punct) {
      if (is_aggregate(t.text)) throw parse_error{"unsupported: aggregate " + to_upper_copy(t.text) + " (only SELECT VALUE COUNT(1))"};
      throw parse_error{"unsupported: function " + to_upper_copy(t.text)};
    }
    if (iequals(t.text, "NOT")) throw parse_error{"unsupported: NOT"};
    if (iequals(t.text, "EXISTS")) throw parse_error{"unsupported: EXISTS"};
    if (iequals(t.text, "ARRAY")) throw parse_error{"unsupported: ARRAY subquery"};
    std::string root = next().text;
    field_path path;
    for (;;) {
      if (punct(".")) {
        next();
        if (peek().kind != tok::ident) throw parse_error{"expected a property name after '.' at position " + pos()};
        path.segments.push_back(next().text);
      } else if (punct("[")) {
        next();
        if (peek().kind != tok::string) throw parse_error{"unsupported: array index or computed property in [] at position " + pos()};
        path.segments.push_back(next().text);
        if (!punct("]")) throw parse_error{"expected ']' at position " + pos()};
        next();
      } else {
        break;
      }
    }
    if (path.segments.empty()) throw parse_error{"unsupported: projection or comparison of the whole document '" + root + "' (use SELECT * or " + root + ".<property>)"};
    path.pointer = pointer_of(path.segments);
    return {std::move(root), std::move(path)};
  }

  operand parse_operand(const std::string& alias) {
    operand o;
    const token& t = peek();
    switch (t.kind) {
      case tok::number:
        o.value = t.number;
        next();
        return o;
      case tok::string:
        o.value = t.text;
        next();
        return o;
      case tok::param: {
        auto it = std::find_if(params_.begin(), params_.end(), [&](const auto& p) { return p.first == t.text; });
        if (it == params_.end()) throw parse_error{"parameter " + t.text + " is used but not defined in \"parameters\""};
        o.value = it->second;
        next();
        return o;
      }
      case tok::ident:
        if (iequals(t.text, "true") && peek(1).text != ".") { next(); o.value = true; return o; }
        if (iequals(t.text, "false") && peek(1).text != ".") { next(); o.value = false; return o; }
        if (iequals(t.text, "null") && peek(1).text != ".") { next(); o.value = nullptr; return o; }
        if (iequals(t.text, "undefined") && peek(1).text != ".") { next(); o.value = std::monostate{}; return o; }
        break;
      case tok::punct:
        if (t.text == "-" && peek(1).kind == tok::number) {
          next();
          o.value = -next().number;
          return o;
        }
        if (t.text == "(") throw parse_error{"unsupported: parentheses / subqueries"};
        if (t.text == "[" || t.text == "{") throw parse_error{"unsupported: array or object literal"};
        break;
      default:
        break;
    }
    auto [root, path] = parse_path();
    if (root != alias) throw parse_error{"unknown alias '" + root + "' in WHERE; expected '" + alias + "'"};
    o.is_path = true;
    o.path = std::move(path);
    return o;
  }

  predicate parse_condition(const std::string& alias) {
    if (keyword("NOT")) throw parse_error{"unsupported: NOT"};
    predicate p;
    p.left = parse_operand(alias);
    for (std::string_view k : {"IN", "LIKE", "BETWEEN", "IS"}) {
      if (keyword(k)) throw parse_error{"unsupported: " + std::string(k)};
    }
    if (keyword("NOT")) throw parse_error{"unsupported: NOT"};
    const token& op = peek();
    if (op.kind != tok::punct) {
      throw parse_error{"expected a comparison operator (=, !=, <>, <, <=, >, >=) at position " + pos() + ", found " + describe(op)};
    }
    if (op.text == "=") p.op = compare_op::eq;
    else if (op.text == "!=" || op.text == "<>") p.op = compare_op::ne;
    else if (op.text == "<") p.op = compare_op::lt;
    else if (op.text == "<=") p.op = compare_op::le;
    else if (op.text == ">") p.op = compare_op::gt;
    else if (op.text == ">=") p.op = compare_op::ge;
    else if (op.text == "+" || op.text == "-" || op.text == "*" || op.text == "/" || op.text == "%" || op.text == "||")
      throw parse_error{"unsupported: operator '" + op.text + "'"};
    else
      throw parse_error{"expected a comparison operator (=, !=, <>, <, <=, >, >=) at position " + pos() + ", found " + describe(op)};
    next();
    p.right = parse_operand(alias);
    if (peek().kind == tok::punct && peek().text != ")" ) {
      const auto& t = peek().text;
      if (t == "+" || t == "-" || t == "*" || t == "/" || t == "%" || t == "||")
        throw parse_error{"unsupported: operator '" + t + "'"};
    }
    return p;
  }

  std::vector<token> t_;
  std::size_t i_ = 0;
  const std::vector<std::pair<std::string, json_scalar>>& params_;
};

compare_op flip(compare_op op) {
  switch (op) {
    case compare_op::lt: return compare_op::gt;
    case compare_op::le: return compare_op::ge;
    case compare_op::gt: return compare_op::lt;
    case compare_op::ge: return compare_op::le;
    default: return op;
  }
}

std::int64_t clamp_to_int64(double v) {
  if (v >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
  if (v <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(v);
}

bool is_ts_path(const operand& o) { return o.is_path && o.path.segments.size() == 1 && o.path.segments[0] == "_ts"; }

// Moves `c._ts <op> <literal>` predicates into [ts_min, ts_max]; the rest stays residual.
void derive_ts_bounds(parsed_query& q) {
  for (const auto& p : q.where) {
    const operand* lit = nullptr;
    compare_op op = p.op;
    if (is_ts_path(p.left) && !p.right.is_path) {
      lit = &p.right;
    } else if (is_ts_path(p.right) && !p.left.is_path) {
      lit = &p.left;
      op = flip(op);
    }
    if (lit == nullptr || op == compare_op::ne) {
      q.residual.push_back(p);
      continue;
    }
    const double* v = std::get_if<double>(&lit->value);
    if (v == nullptr) {  // _ts is always a number: comparing it with anything else is undefined
      q.satisfiable = false;
      continue;
    }
    const double x = *v;
    switch (op) {
      case compare_op::eq:
        if (std::floor(x) != x) q.satisfiable = false;
        q.ts_min = std::max(q.ts_min, clamp_to_int64(x));
        q.ts_max = std::min(q.ts_max, clamp_to_int64(x));
        break;
      case compare_op::ge: q.ts_min = std::max(q.ts_min, clamp_to_int64(std::ceil(x))); break;
      case compare_op::gt: q.ts_min = std::max(q.ts_min, clamp_to_int64(std::floor(x) + 1)); break;
      case compare_op::le: q.ts_max = std::min(q.ts_max, clamp_to_int64(std::floor(x))); break;
      case compare_op::lt: q.ts_max = std::min(q.ts_max, clamp_to_int64(std::ceil(x) - 1)); break;
      case compare_op::ne: break;
    }
  }
  if (q.ts_min > q.ts_max) q.satisfiable = false;
}

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Parameters: [{"name":"@x","value":<scalar>}]
std::vector<std::pair<std::string, json_scalar>> parse_parameters(simdjson::dom::element params) {
  std::vector<std::pair<std::string, json_scalar>> out;
  simdjson::dom::array arr;
  if (params.get_array().get(arr)) throw parse_error{"\"parameters\" must be an array of {\"name\",\"value\"} objects"};
  std::size_t index = 0;
  for (auto entry : arr) {
    simdjson::dom::object obj;
    if (entry.get_object().get(obj)) throw parse_error{"parameters[" + std::to_string(index) + "] must be an object"};
    std::string_view name;
    if (obj["name"].get_string().get(name) || name.empty() || name[0] != '@') {
      throw parse_error{"parameters[" + std::to_string(index) + "].name must be a string starting with '@'"};
    }
    simdjson::dom::element value;
    json_scalar v;  // missing value = undefined
    if (!obj["value"].get(value)) {
      switch (value.type()) {
        case simdjson::dom::element_type::STRING: v = std::string(value.get_string().value()); break;
        case simdjson::dom::element_type::INT64: v = static_cast<double>(value.get_int64().value()); break;
        case simdjson::dom::element_type::UINT64: v = static_cast<double>(value.get_uint64().value()); break;
        case simdjson::dom::element_type::DOUBLE: v = value.get_double().value(); break;
        case simdjson::dom::element_type::BOOL: v = value.get_bool().value(); break;
        case simdjson::dom::element_type::NULL_VALUE: v = nullptr; break;
        default:
          throw parse_error{"unsupported: parameter " + std::string(name) + " with an object or array value"};
      }
    }
    out.emplace_back(std::string(name), std::move(v));
    ++index;
  }
  return out;
}

query_parse_result run_parser(std::string_view sql, std::vector<std::pair<std::string, json_scalar>> params,
                              std::string_view parameters_text) {
  query_parse_result r;
  try {
    parser p(tokenize(sql), params);
    parsed_query q = p.parse();
    derive_ts_bounds(q);
    q.fingerprint = fnv1a(fnv1a(14695981039346656037ull, sql), parameters_text);
    r.query = std::move(q);
  } catch (const parse_error& e) {
    r.error = e.message;
  } catch (const std::exception& e) {
    r.error = std::string("malformed query: ") + e.what();
  }
  return r;
}

}  // namespace

query_parse_result parse_query(std::string_view sql, std::string_view parameters_json) {
  std::vector<std::pair<std::string, json_scalar>> params;
  if (!parameters_json.empty()) {
    simdjson::dom::parser dom;
    simdjson::padded_string padded(parameters_json);
    simdjson::dom::element root;
    if (dom.parse(padded).get(root)) return {std::nullopt, "\"parameters\" is not valid JSON"};
    try {
      params = parse_parameters(root);
    } catch (const parse_error& e) {
      return {std::nullopt, e.message};
    }
  }
  return run_parser(sql, std::move(params), parameters_json);
}

query_parse_result parse_query_request(std::string_view body) {
  thread_local simdjson::dom::parser dom;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (dom.parse(padded).get(root)) return {std::nullopt, "query body is not valid JSON"};
  simdjson::dom::object obj;
  if (root.get_object().get(obj)) return {std::nullopt, "query body must be a JSON object with a \"query\" string"};
  std::string_view sql;
  if (obj["query"].get_string().get(sql)) return {std::nullopt, "query body: \"query\" must be a string"};
  std::string sql_copy(sql);
  std::vector<std::pair<std::string, json_scalar>> params;
  std::string params_text;
  simdjson::dom::element pe;
  if (!obj["parameters"].get(pe)) {
    try {
      params = parse_parameters(pe);
    } catch (const parse_error& e) {
      return {std::nullopt, e.message};
    }
    params_text = simdjson::minify(pe);
  }
  return run_parser(sql_copy, std::move(params), params_text);
}

// ---------------------------------------------------------------------------------------------
// Evaluator

namespace {

enum class vkind { undefined, null, boolean, number, string };

struct value_ref {
  vkind kind = vkind::undefined;
  bool boolean = false;
  double number = 0;
  std::string_view string;
};

value_ref from_scalar(const json_scalar& s) {
  value_ref v;
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) v.kind = vkind::undefined;
        else if constexpr (std::is_same_v<T, std::nullptr_t>) v.kind = vkind::null;
        else if constexpr (std::is_same_v<T, bool>) { v.kind = vkind::boolean; v.boolean = x; }
        else if constexpr (std::is_same_v<T, double>) { v.kind = vkind::number; v.number = x; }
        else { v.kind = vkind::string; v.string = x; }
      },
      s);
  return v;
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

bool compare(const value_ref& a, compare_op op, const value_ref& b) {
  if (a.kind == vkind::undefined || b.kind == vkind::undefined || a.kind != b.kind) return false;
  int c = 0;
  switch (a.kind) {
    case vkind::null: c = 0; break;
    case vkind::boolean: c = three_way(a.boolean, b.boolean); break;
    case vkind::number:
      if (std::isnan(a.number) || std::isnan(b.number)) return false;
      c = three_way(a.number, b.number);
      break;
    case vkind::string: c = a.string.compare(b.string) < 0 ? -1 : (a.string == b.string ? 0 : 1); break;
    case vkind::undefined: return false;
  }
  switch (op) {
    case compare_op::eq: return c == 0;
    case compare_op::ne: return c != 0;
    case compare_op::lt: return c < 0;
    case compare_op::le: return c <= 0;
    case compare_op::gt: return c > 0;
    case compare_op::ge: return c >= 0;
  }
  return false;
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

struct query_evaluator::impl {
  simdjson::ondemand::parser parser;
  std::string scratch;

  simdjson::padded_string_view view(const std::string& doc) {
    if (doc.capacity() >= doc.size() + simdjson::SIMDJSON_PADDING) {
      return simdjson::padded_string_view(doc.data(), doc.size(), doc.capacity());
    }
    scratch.clear();
    scratch.reserve(doc.size() + simdjson::SIMDJSON_PADDING);
    scratch.append(doc);
    return simdjson::padded_string_view(scratch.data(), scratch.size(), scratch.capacity());
  }

  // The value at `pointer`; strings stay valid until the next iterate().
  value_ref fetch(simdjson::ondemand::document& d, const std::string& pointer) {
    value_ref v;
    simdjson::ondemand::value val;
    if (d.at_pointer(pointer).get(val)) return v;
    simdjson::ondemand::json_type type;
    if (val.type().get(type)) return v;
    switch (type) {
      case simdjson::ondemand::json_type::string:
        if (!val.get_string().get(v.string)) v.kind = vkind::string;
        break;
      case simdjson::ondemand::json_type::number:
        if (!val.get_double().get(v.number)) v.kind = vkind::number;
        break;
      case simdjson::ondemand::json_type::boolean:
        if (!val.get_bool().get(v.boolean)) v.kind = vkind::boolean;
        break;
      case simdjson::ondemand::json_type::null:
        v.kind = vkind::null;
        break;
      default:
        // Objects and arrays compare as undefined against the scalars this subset allows.
        break;
    }
    return v;
  }
};

query_evaluator::query_evaluator() : impl_(std::make_unique<impl>()) {}
query_evaluator::~query_evaluator() = default;

bool query_evaluator::matches(const std::vector<predicate>& predicates, const std::string& document) {
  if (predicates.empty()) return true;
  auto padded = impl_->view(document);
  simdjson::ondemand::document d;
  if (impl_->parser.iterate(padded).get(d)) return false;
  for (const auto& p : predicates) {
    // Strings fetched from the document live in the parser's buffer; copy the left one only
    // when both sides come from the document (the second fetch may reuse the buffer).
    value_ref left = p.left.is_path ? impl_->fetch(d, p.left.path.pointer) : from_scalar(p.left.value);
    std::string left_copy;
    if (p.left.is_path && p.right.is_path && left.kind == vkind::string) {
      left_copy = std::string(left.string);
      left.string = left_copy;
    }
    value_ref right = p.right.is_path ? impl_->fetch(d, p.right.path.pointer) : from_scalar(p.right.value);
    if (!compare(left, p.op, right)) return false;
  }
  return true;
}

std::string query_evaluator::project(const std::vector<projection_item>& items, const std::string& document) {
  std::string out = "{";
  auto padded = impl_->view(document);
  simdjson::ondemand::document d;
  if (impl_->parser.iterate(padded).get(d)) return "{}";
  bool first = true;
  for (const auto& item : items) {
    simdjson::ondemand::value val;
    if (d.at_pointer(item.path.pointer).get(val)) continue;
    simdjson::ondemand::json_type type;
    if (val.type().get(type)) continue;
    std::string_view raw;
    if (type == simdjson::ondemand::json_type::object) {
      simdjson::ondemand::object o;
      if (val.get_object().get(o) || o.raw_json().get(raw)) continue;
    } else if (type == simdjson::ondemand::json_type::array) {
      simdjson::ondemand::array a;
      if (val.get_array().get(a) || a.raw_json().get(raw)) continue;
    } else {
      raw = trim_right(val.raw_json_token());
    }
    if (!first) out += ',';
    first = false;
    out += '"';
    for (char c : item.output_name) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\":";
    out += raw;
  }
  out += '}';
  return out;
}

}  // namespace idabus::emulator
