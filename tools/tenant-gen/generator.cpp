#include "tools/tenant-gen/generator.hpp"

#include "tools/tenant-gen/prng.hpp"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <vector>

namespace idabus::tenant_gen {

namespace {

// Shares of the Resource types, in per-mille, in object_type order (Person takes the remainder).
constexpr std::array<std::uint64_t, object_type_count> type_share_permille{600, 150, 80, 60, 50, 30, 30};

constexpr std::array<std::string_view, object_type_count> type_names{
    "Person", "Group", "AttributeTypeDescription", "Set", "ManagementPolicyRule", "ObjectTypeDescription",
    "BindingDescription"};

constexpr std::array<std::string_view, 32> first_names{
    "Zoë",   "Łukasz", "王芳",   "José",    "Søren", "Ana",    "Mikko",   "Aigerim", "Björn",   "Chloé", "Đorđe",
    "Ingrid", "Jürgen", "Kateřina", "李娜", "Mohammed", "Nnamdi", "Olga", "Priya",   "Raúl",    "Saanvi", "Tomás",
    "Yuki",  "Zoltán", "John",   "Mary",    "Peter", "Émilie", "Ангелина", "Siobhán", "Øystein", "Fatma"};
constexpr std::array<std::string_view, 24> last_names{
    "Ñúñez", "Kowalski", "Müller", "O'Brien", "Smith",    "Wang",   "Nakamura", "Øvergaard",
    "Dvořák", "García",  "Şahin",  "Иванов",  "Nguyễn",   "Papadopoulos", "Johnson", "Lefèvre",
    "Hernández", "Björklund", "Kim", "Van der Berg", "Brown", "Żurawski", "Ó Súilleabháin", "Tanaka"};
constexpr std::array<std::string_view, 12> departments{
    "Sales", "Finance", "Human Resources", "Engineering", "Legal & Compliance", "Marketing",
    "Forschung & Entwicklung", "Logística", "Ventes — Région Île-de-France", "研发部", "Support \"Tier 2\"",
    "IT\\Infrastructure"};
constexpr std::array<std::string_view, 10> job_titles{
    "Engineer", "Senior Engineer", "Accountant", "Sales Representative", "Manager", "Directrice générale",
    "Analyst", "Consultant", "Praktikant", "Team Lead"};
constexpr std::array<std::string_view, 40> words{
    "identity", "policy",  "request", "approval", "workflow", "synchronization", "attribute", "membership",
    "résumé",   "naïve",   "façade",  "Zoë",      "Łódź",     "Straße",   "東京",      "数据",
    "привет",   "καλημέρα", "مرحبا",   "שלום",     "\"quoted\"", "C:\\share\\hr", "tab\there", "line\nbreak",
    "provisioning", "deprovisioning", "owner", "manager", "contractor", "employee",
    "audit", "retention", "compliance", "€uro", "✓ checked", "smörgåsbord", "jalapeño", "crème brûlée",
    "Ñandú", "🙂"};

constexpr std::int64_t base_time_ms = 1672531200000;           // 2023-01-01T00:00:00Z
constexpr std::int64_t time_span_ms = 2LL * 365 * 24 * 3600 * 1000;  // two years

template <class Array>
std::string_view pick(prng& r, const Array& a) {
  return a[static_cast<std::size_t>(r.below(a.size()))];
}

// A tiny JSON object writer over one string.
class object_writer {
 public:
  explicit object_writer(std::string& out) : out_(out) { out_.push_back('{'); }

  void key(std::string_view k) {
    if (!first_) out_.push_back(',');
    first_ = false;
    append_json_string(out_, k);
    out_.push_back(':');
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  void num(std::string_view k, std::int64_t v) {
    key(k);
    out_ += std::to_string(v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    out_ += v ? "true" : "false";
  }
  void raw(std::string_view k, std::string_view json) {
    key(k);
    out_ += json;
  }
  void str_array(std::string_view k, const std::vector<std::string>& items) {
    key(k);
    out_.push_back('[');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out_.push_back(',');
      append_json_string(out_, items[i]);
    }
    out_.push_back(']');
  }
  // Adds a "Notes" string so that the finished object is exactly `target` bytes (when it is
  // still smaller than that), then closes the object.
  void finish_padded(prng& r, std::size_t target) {
    constexpr std::size_t overhead = sizeof(",\"Notes\":\"\"}") - 1;
    if (out_.size() + overhead < target) {
      key("Notes");
      out_.push_back('"');
      const std::size_t stop = target - 2;  // room for the closing quote and brace
      std::string piece;
      while (true) {
        piece.clear();
        if (out_.back() != '"') piece.push_back(' ');
        // The word escaped, without its surrounding quotes.
        std::string quoted;
        append_json_string(quoted, pick(r, words));
        piece.append(quoted, 1, quoted.size() - 2);
        if (out_.size() + piece.size() > stop) break;
        out_ += piece;
      }
      out_.append(stop - out_.size(), '.');
      out_.push_back('"');
    }
    out_.push_back('}');
  }
  void finish() { out_.push_back('}'); }

 private:
  std::string& out_;
  bool first_ = true;
};

std::string time_at(prng& r) { return iso8601_utc(base_time_ms + static_cast<std::int64_t>(r.below(time_span_ms))); }

std::string ascii_handle(std::uint64_t index) { return "u" + std::to_string(100000 + index); }

std::size_t size_between(prng& r, std::size_t lo_bytes, std::size_t hi_bytes) {
  return static_cast<std::size_t>(r.between(lo_bytes, hi_bytes));
}

}  // namespace

std::string_view collection_name(collection_kind kind) noexcept {
  switch (kind) {
    case collection_kind::resources: return "Resources";
    case collection_kind::events: return "Events";
    case collection_kind::workflow_executions: return "WorkflowExecutions";
  }
  return "";
}

std::string_view partition_key_path(collection_kind kind) noexcept {
  return kind == collection_kind::resources ? "/objecttype" : "/id";
}

std::string_view object_type_name(object_type type) noexcept { return type_names[static_cast<std::size_t>(type)]; }

std::uint64_t tenant_plan::count(collection_kind kind) const noexcept {
  switch (kind) {
    case collection_kind::resources: return resources;
    case collection_kind::events: return events;
    case collection_kind::workflow_executions: return workflow_executions;
  }
  return 0;
}

tenant_plan plan_tenant(std::uint64_t documents, std::uint64_t seed) {
  tenant_plan p;
  p.seed = seed;
  p.resources = documents * 70 / 100;
  p.events = documents * 20 / 100;
  p.workflow_executions = documents - p.resources - p.events;
  std::uint64_t assigned = 0;
  for (std::size_t t = 1; t < object_type_count; ++t) {
    p.per_type[t] = p.resources * type_share_permille[t] / 1000;
    assigned += p.per_type[t];
  }
  p.per_type[0] = p.resources - assigned;
  return p;
}

tenant_generator::tenant_generator(tenant_plan plan) : plan_(plan) {
  std::uint64_t at = 0;
  for (std::size_t t = 0; t < object_type_count; ++t) {
    first_[t] = at;
    at += plan_.per_type[t];
  }
  if (at != plan_.resources) throw std::invalid_argument("tenant_plan: per_type does not add up to resources");
}

std::string tenant_generator::id_of(collection_kind kind, std::uint64_t index) const {
  const auto k = static_cast<std::uint64_t>(kind);
  return uuid_from(stream_seed(plan_.seed, 100 + k, index), stream_seed(plan_.seed, 200 + k, index));
}

object_type tenant_generator::resource_type(std::uint64_t index) const {
  for (std::size_t t = object_type_count; t-- > 0;) {
    if (plan_.per_type[t] > 0 && index >= first_[t]) return static_cast<object_type>(t);
  }
  return object_type::person;
}

std::uint64_t tenant_generator::resource_index(object_type type, std::uint64_t nth) const {
  return first_[static_cast<std::size_t>(type)] + nth;
}

generated_document tenant_generator::generate(collection_kind kind, std::uint64_t index) const {
  if (index >= plan_.count(kind)) {
    throw std::out_of_range("tenant_generator: index " + std::to_string(index) + " beyond " +
                            std::string(collection_name(kind)));
  }
  prng r(stream_seed(plan_.seed, static_cast<std::uint64_t>(kind), index));
  generated_document doc;
  doc.id = id_of(kind, index);
  std::string& out = doc.body;
  object_writer w(out);
  w.str("id", doc.id);

  auto count_of = [&](object_type t) { return plan_.per_type[static_cast<std::size_t>(t)]; };
  auto ref_to = [&](object_type t) {
    return id_of(collection_kind::resources, resource_index(t, r.below(count_of(t))));
  };

  if (kind == collection_kind::resources) {
    const object_type type = resource_type(index);
    const std::size_t nth = index - first_[static_cast<std::size_t>(type)];
    doc.partition_key = std::string(object_type_name(type));
    w.str("objecttype", doc.partition_key);
    w.str("ObjectID", doc.id);
    w.str("CreatedTime", time_at(r));
    std::size_t target = 0;
    switch (type) {
      case object_type::person: {
        const double roll = r.unit();
        target = roll < 0.90 ? size_between(r, 1024, 3 * 1024)
                 : roll < 0.98 ? size_between(r, 3 * 1024, 8 * 1024)
                               : size_between(r, 15 * 1024, max_resource_bytes);
        const auto first = pick(r, first_names);
        const auto last = pick(r, last_names);
        const std::string handle = ascii_handle(nth);
        w.str("FirstName", first);
        w.str("LastName", last);
        w.str("DisplayName", std::string(first) + " " + std::string(last));
        w.str("AccountName", handle);
        w.str("Domain", "CONTOSO");
        w.str("DomainAccount", "CONTOSO\\" + handle);
        w.str("Email", handle + "@contoso.example");
        w.str("EmployeeID", std::to_string(10000 + nth));
        w.str("EmployeeType", r.chance(0.85) ? "Employee" : "Contractor");
        w.str("JobTitle", pick(r, job_titles));
        w.str("Department", pick(r, departments));
        if (count_of(object_type::person) > 1 && r.chance(0.8)) w.str("Manager", ref_to(object_type::person));
        if (target > 3 * 1024) {
          std::vector<std::string> proxies;
          const std::size_t n = 5 + r.below(20);
          for (std::size_t i = 0; i < n; ++i) proxies.push_back("smtp:" + handle + "." + std::to_string(i) + "@contoso.example");
          w.str_array("ProxyAddressCollection", proxies);
        }
        break;
      }
      case object_type::group: {
        target = r.chance(0.85) ? size_between(r, 2 * 1024, 12 * 1024)
                                : size_between(r, 12 * 1024, max_resource_bytes);
        const auto dept = pick(r, departments);
        w.str("DisplayName", "Group " + std::to_string(nth) + " – " + std::string(dept));
        w.str("AccountName", "grp" + std::to_string(nth));
        w.str("Domain", "CONTOSO");
        w.str("Scope", r.chance(0.7) ? "Universal" : "Global");
        w.str("Type", r.chance(0.8) ? "Security" : "Distribution");
        w.boolean("MembershipLocked", r.chance(0.3));
        w.str("MembershipAddWorkflow", r.chance(0.5) ? "Owner Approval" : "None");
        if (count_of(object_type::person) > 0) {
          std::vector<std::string> owners;
          const std::size_t n = 1 + r.below(3);
          for (std::size_t i = 0; i < n; ++i) owners.push_back(ref_to(object_type::person));
          w.str_array("Owner", owners);
          w.str("DisplayedOwner", owners.front());
          // Members fill the group up to about 200 bytes below its target size.
          w.key("ExplicitMember");
          out.push_back('[');
          bool first_member = true;
          while (out.size() + 40 + 200 < target) {
            if (!first_member) out.push_back(',');
            first_member = false;
            append_json_string(out, ref_to(object_type::person));
          }
          out.push_back(']');
        }
        break;
      }
      case object_type::set: {
        target = size_between(r, 1024, 4 * 1024);
        const auto dept = pick(r, departments);
        w.str("DisplayName", "All people in " + std::string(dept));
        std::string filter =
            "<Filter xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" Dialect=\"http://schemas.microsoft.com/"
            "2006/11/XPathFilterDialect\">/Person[Department = '";
        filter += dept;
        filter += "']</Filter>";
        w.str("Filter", filter);
        if (count_of(object_type::person) > 0) {
          std::vector<std::string> members;
          const std::size_t n = r.below(6);
          for (std::size_t i = 0; i < n; ++i) members.push_back(ref_to(object_type::person));
          w.str_array("ExplicitMember", members);
        }
        break;
      }
      case object_type::management_policy_rule: {
        target = size_between(r, 1024, 3 * 1024);
        w.str("DisplayName", "MPR " + std::to_string(nth) + ": users may edit \"" + std::string(pick(r, departments)) + "\"");
        w.str("ManagementPolicyRuleType", r.chance(0.8) ? "Request" : "SetTransition");
        w.str_array("ActionType", r.chance(0.5) ? std::vector<std::string>{"Create", "Modify"}
                                                 : std::vector<std::string>{"Modify"});
        w.str_array("ActionParameter", {"*"});
        w.boolean("GrantRight", r.chance(0.7));
        w.boolean("Disabled", r.chance(0.1));
        if (count_of(object_type::set) > 0) {
          w.str("PrincipalSet", ref_to(object_type::set));
          w.str("ResourceCurrentSet", ref_to(object_type::set));
          w.str("ResourceFinalSet", ref_to(object_type::set));
        }
        break;
      }
      case object_type::attribute_type_description: {
        target = size_between(r, 1024, 2 * 1024);
        static constexpr std::array<std::string_view, 7> types{"String", "Integer", "Boolean", "DateTime",
                                                               "Reference", "Binary", "Text"};
        w.str("Name", "Attribute" + std::to_string(nth));
        w.str("DisplayName", "Attribut n°" + std::to_string(nth));
        w.str("DataType", pick(r, types));
        w.boolean("Multivalued", r.chance(0.2));
        w.str("Description", "Stores the \"" + std::string(pick(r, words)) + "\" value.\nSee C:\\docs\\schema.");
        break;
      }
      case object_type::object_type_description: {
        target = size_between(r, 1024, 2 * 1024);
        w.str("Name", nth < 2 ? std::string(nth == 0 ? "Person" : "Group") : "CustomType" + std::to_string(nth));
        w.str("DisplayName", "Objekttyp " + std::to_string(nth));
        w.str("Description", "Object type\t#" + std::to_string(nth));
        break;
      }
      case object_type::binding_description: {
        target = size_between(r, 1024, 2 * 1024);
        w.str("DisplayName", "Binding " + std::to_string(nth));
        if (count_of(object_type::object_type_description) > 0) w.str("BoundObjectType", ref_to(object_type::object_type_description));
        if (count_of(object_type::attribute_type_description) > 0) {
          w.str("BoundAttributeType", ref_to(object_type::attribute_type_description));
        }
        w.boolean("Required", r.chance(0.3));
        w.str("StringRegex", "^[\\p{L} '\\-]{1,64}$");
        break;
      }
    }
    w.finish_padded(r, target);
    return doc;
  }

  doc.partition_key = doc.id;
  const std::size_t target = r.chance(0.9) ? size_between(r, 300, 1536) : size_between(r, 1536, 6 * 1024);
  auto write_target = [&] {
    if (plan_.resources == 0) return;
    const std::uint64_t ri = r.below(plan_.resources);
    std::string t = "{";
    append_json_string(t, "id");
    t += ':';
    append_json_string(t, id_of(collection_kind::resources, ri));
    t += ',';
    append_json_string(t, "objecttype");
    t += ':';
    append_json_string(t, object_type_name(resource_type(ri)));
    t += '}';
    w.raw("target", t);
  };
  const std::int64_t created = base_time_ms + static_cast<std::int64_t>(r.below(time_span_ms));
  if (kind == collection_kind::events) {
    w.str("eventType", "Request");
    const bool put = r.chance(0.85);
    w.str("operation", put ? "Put" : "Delete");
    write_target();
    w.str("createdTime", iso8601_utc(created));
    if (count_of(object_type::person) > 0) w.str("creator", ref_to(object_type::person));
    w.str("requestStatus", r.chance(0.9) ? "Completed" : "Denied");
    w.str("correlationId", uuid_from(r.next(), r.next()));
    if (put) {
      w.key("changes");
      out.push_back('[');
      const std::size_t n = 1 + r.below(4);
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        object_writer c(out);
        c.str("attribute", r.chance(0.5) ? "DisplayName" : "Department");
        c.str("mode", r.chance(0.8) ? "Replace" : "Add");
        c.str("value", r.chance(0.5) ? std::string(pick(r, first_names)) + " " + std::string(pick(r, last_names))
                                     : std::string(pick(r, departments)));
        c.finish();
      }
      out.push_back(']');
    }
  } else {
    static constexpr std::array<std::string_view, 6> names{
        "Send notification", "Provision to AD", "Owner approval", "Grant license", "Dépôt d'archive",
        "Sync \"HR\" → IDABUS"};
    static constexpr std::array<std::string_view, 3> statuses{"Queued", "Running", "Completed"};
    const auto status = pick(r, statuses);
    w.str("name", pick(r, names));
    w.str("status", status);
    if (plan_.events > 0) w.str("requestId", id_of(collection_kind::events, r.below(plan_.events)));
    write_target();
    w.str("createdTime", iso8601_utc(created));
    std::int64_t at = created + static_cast<std::int64_t>(r.below(60'000));
    if (status != "Queued") w.str("startedTime", iso8601_utc(at));
    w.key("steps");
    out.push_back('[');
    const std::size_t steps = status == "Queued" ? 0 : 1 + r.below(5);
    for (std::size_t i = 0; i < steps; ++i) {
      if (i) out.push_back(',');
      object_writer s(out);
      s.str("name", "step " + std::to_string(i + 1));
      const bool last = i + 1 == steps;
      const bool running = status == "Running" && last;
      s.str("status", running ? "Running" : "Completed");
      s.str("startedTime", iso8601_utc(at));
      at += static_cast<std::int64_t>(r.below(30'000));
      if (!running) s.str("completedTime", iso8601_utc(at));
      s.finish();
    }
    out.push_back(']');
    if (status == "Completed") w.str("completedTime", iso8601_utc(at));
    w.num("retryCount", static_cast<std::int64_t>(r.below(3)));
  }
  w.finish_padded(r, target);
  return doc;
}

std::string iso8601_utc(std::int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> at{milliseconds{unix_ms}};
  const sys_days day = floor<days>(at);  // floor: 1969 and earlier round towards the past
  const year_month_day date{day};
  const hh_mm_ss time{at - day};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long long>(time.hours().count()), static_cast<long long>(time.minutes().count()),
                static_cast<long long>(time.seconds().count()), static_cast<long long>(time.subseconds().count()));
  return std::string(buf);
}

}  // namespace idabus::tenant_gen
