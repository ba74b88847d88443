// checklist-reviewer: approves or rejects a draft against rules from config:
// required phrases, banned phrases, a length range and a placeholder that must
// not remain. Phrase checks ignore case and treat any run of whitespace as one
// space. Every failed rule is one reason; "missing" lists the required phrases
// the draft lacks, as config wrote them, so that a worker can add them.
#include <agenthost/sdk.hpp>

#include <boost/json/src.hpp>  // header-only Boost.JSON, private to this plugin

#include <cctype>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;

constexpr const char* manifest = R"json({
  "name": "checklist-reviewer",
  "version": "1.0.0",
  "description": "Reviews a draft against a checklist (required and banned phrases, length, unfilled placeholders) and approves or rejects it with reasons.",
  "sdk_abi": "1.1",
  "config_schema": {
    "type": "object",
    "properties": {
      "required_phrases": {"type": "array", "uniqueItems": true, "items": {"type": "string", "minLength": 1}},
      "banned_phrases": {"type": "array", "uniqueItems": true, "items": {"type": "string", "minLength": 1}},
      "min_length": {"type": "integer", "minimum": 0},
      "max_length": {"type": "integer", "minimum": 1},
      "placeholder_pattern": {"type": "string"}
    },
    "additionalProperties": false
  },
  "input_schema": {
    "type": "object", "required": ["draft"],
    "properties": {
      "draft": {
        "oneOf": [
          {"type": "string"},
          {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
        ]
      }
    },
    "additionalProperties": false
  },
  "output_schema": {
    "type": "object", "required": ["approved", "reasons", "missing", "confidence"],
    "properties": {
      "approved": {"type": "boolean"},
      "reasons": {"type": "array", "items": {"type": "string"}},
      "missing": {"type": "array", "items": {"type": "string"}},
      "confidence": {"type": "number", "minimum": 0, "maximum": 1}
    },
    "additionalProperties": false
  }
})json";

// Lowercase ASCII, every run of whitespace one space, none at either end.
std::string normalize(std::string_view text) {
    std::string out;
    bool space = false;
    for (unsigned char c : text) {
        if (std::isspace(c)) {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(static_cast<char>(std::tolower(c)));
    }
    return out;
}

// Length in characters (UTF-8 code points), not bytes.
std::size_t characters(std::string_view text) {
    std::size_t n = 0;
    for (unsigned char c : text) n += (c & 0xC0) != 0x80;
    return n;
}

std::string quoted(std::string_view s) { return json::serialize(json::string(s)); }

struct Phrase {
    std::string as_written;
    std::string normalized;
};

std::vector<Phrase> phrases(const json::object& config, const char* key) {
    std::vector<Phrase> out;
    if (const json::value* list = config.if_contains(key)) {
        for (const json::value& p : list->as_array()) out.push_back({std::string(p.as_string()), normalize(p.as_string())});
    }
    return out;
}

class ChecklistReviewer : public agenthost::Agent {
public:
    ChecklistReviewer(const agenthost::HostApi& /*host*/, std::string_view config_json) {
        const json::object config = json::parse(config_json).as_object();
        required_ = phrases(config, "required_phrases");
        banned_ = phrases(config, "banned_phrases");
        if (const json::value* v = config.if_contains("min_length")) min_length_ = v->to_number<uint64_t>();
        if (const json::value* v = config.if_contains("max_length")) max_length_ = v->to_number<uint64_t>();
        if (const json::value* v = config.if_contains("placeholder_pattern")) placeholder_ = v->as_string();
        if (min_length_ > max_length_) {
            throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT, "checklist-reviewer: min_length " +
                                                                  std::to_string(min_length_) + " exceeds max_length " +
                                                                  std::to_string(max_length_));
        }
    }

    std::string invoke(agenthost::Context& /*ctx*/, const agenthost::Input& input) override {
        const json::value in = json::parse(input.json);
        const json::value& draft = in.at("draft");
        const std::string_view text = draft.is_string() ? draft.get_string() : draft.at("text").as_string();
        const std::string normalized = normalize(text);

        json::array reasons, missing;
        for (const Phrase& p : required_) {
            if (normalized.find(p.normalized) != std::string::npos) continue;
            reasons.emplace_back("missing required phrase " + quoted(p.as_written));
            missing.emplace_back(p.as_written);
        }
        for (const Phrase& p : banned_) {
            if (normalized.find(p.normalized) == std::string::npos) continue;
            reasons.emplace_back("contains banned phrase " + quoted(p.as_written));
        }
        // The length of what a reader sees: surrounding whitespace does not count.
        const std::size_t first = text.find_first_not_of(" \t\r\n");
        const std::size_t length =
            first == std::string_view::npos ? 0 : characters(text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1));
        if (length < min_length_) {
            reasons.emplace_back("too short: " + std::to_string(length) + " characters, at least " +
                                 std::to_string(min_length_) + " required");
        }
        if (length > max_length_) {
            reasons.emplace_back("too long: " + std::to_string(length) + " characters, at most " +
                                 std::to_string(max_length_) + " allowed");
        }
        if (!placeholder_.empty() && text.find(placeholder_) != std::string_view::npos) {
            reasons.emplace_back("unfilled placeholder: the draft still contains " + quoted(placeholder_));
        }
        const bool approved = reasons.empty();
        return json::serialize(json::object{
            {"approved", approved}, {"reasons", std::move(reasons)}, {"missing", std::move(missing)},
            {"confidence", approved ? 1.0 : 0.9}});
    }

private:
    std::vector<Phrase> required_;
    std::vector<Phrase> banned_;
    std::size_t min_length_ = 0;
    std::size_t max_length_ = std::numeric_limits<std::size_t>::max();
    std::string placeholder_ = "{{";
};

}  // namespace

AGENTHOST_PLUGIN_WITH_FLAGS(ChecklistReviewer, manifest, AH_PLUGIN_CONCURRENT_INVOKE)
