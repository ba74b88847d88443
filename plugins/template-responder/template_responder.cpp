// template-responder: renders a reply from its input. `select` (a JSON pointer
// into the input) picks the template, "default" when it names none; each
// {{/pointer}} or {{/pointer|fallback}} is replaced by the input's value there.
// With "revise": true it also answers a reviewer: the phrases that
// input.feedback.missing lists (a checklist-reviewer output) and the text
// lacks are appended as one closing paragraph, so that the next review passes.
#include <agenthost/sdk.hpp>

#include <boost/json/src.hpp>  // header-only Boost.JSON, private to this plugin

#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;

constexpr const char* manifest = R"json({
  "name": "template-responder",
  "version": "1.0.0",
  "description": "Renders a reply from a template chosen by the input, filling {{/json/pointer}} placeholders from it.",
  "sdk_abi": "1.1",
  "config_schema": {
    "type": "object",
    "required": ["templates"],
    "properties": {
      "templates": {
        "type": "object", "required": ["default"],
        "additionalProperties": {"type": "string"}
      },
      "select": {"type": "string", "pattern": "^(/([^~/]|~[01])*)*$"},
      "revise": {"type": "boolean"},
      "revisions": {
        "type": "object",
        "description": "missing phrase -> template of the sentence that adds it; other phrases are appended as they are",
        "additionalProperties": {"type": "string"}
      }
    },
    "additionalProperties": false
  },
  "input_schema": {
    "type": "object",
    "properties": {
      "feedback": {
        "type": ["object", "null"],
        "properties": {"missing": {"type": "array", "items": {"type": "string"}}}
      }
    }
  },
  "output_schema": {
    "type": "object", "required": ["text", "template"],
    "properties": {
      "text": {"type": "string"},
      "template": {"type": "string"}
    },
    "additionalProperties": false
  }
})json";

// One piece of a compiled template: literal text, or a placeholder.
struct Piece {
    std::string literal;
    std::string pointer;  // empty for a literal
    std::string fallback;
};

bool valid_pointer(std::string_view p) {
    if (p.empty() || p.front() != '/') return false;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
    }
    return true;
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

// Splits a template into pieces; a "{{" that does not open a well-formed
// placeholder is a config error, so no placeholder can survive rendering.
std::vector<Piece> compile(const std::string& name, const std::string& text) {
    std::vector<Piece> pieces;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t open = text.find("{{", at);
        if (open == std::string::npos) {
            pieces.push_back({text.substr(at), {}, {}});
            break;
        }
        if (open > at) pieces.push_back({text.substr(at, open - at), {}, {}});
        const std::size_t close = text.find("}}", open + 2);
        const std::string where = "template-responder: template \"" + name + "\" at offset " + std::to_string(open);
        if (close == std::string::npos) throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT, where + ": \"{{\" is never closed");
        const std::string inner = text.substr(open + 2, close - open - 2);
        const std::size_t bar = inner.find('|');
        std::string pointer = trim(inner.substr(0, bar));
        if (!valid_pointer(pointer)) {
            throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT,
                                     where + ": {{" + inner + "}} is not a JSON pointer (write {{/name}})");
        }
        std::string fallback = bar == std::string::npos ? std::string() : trim(inner.substr(bar + 1));
        if (fallback.find("{{") != std::string::npos) {
            throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT, where + ": a fallback cannot hold a placeholder");
        }
        pieces.push_back({{}, std::move(pointer), std::move(fallback)});
        at = close + 2;
    }
    return pieces;
}

// A scalar as text; an array of scalars as "a, b, c"; anything else as JSON.
std::string render(const json::value& v) {
    switch (v.kind()) {
    case json::kind::null: return {};
    case json::kind::string: return std::string(v.get_string());
    case json::kind::bool_: return v.get_bool() ? "true" : "false";
    case json::kind::double_: {  // 2.5, not Boost.JSON's 2.5E0
        char text[32];
        std::snprintf(text, sizeof text, "%.15g", v.get_double());
        return text;
    }
    case json::kind::array: {
        std::string out;
        for (const json::value& item : v.get_array()) {
            if (item.is_structured()) return json::serialize(v);
            std::string s = render(item);
            if (s.empty()) continue;
            out += (out.empty() ? "" : ", ") + s;
        }
        return out;
    }
    default: return json::serialize(v);
    }
}

const json::value* find(const json::value& doc, std::string_view pointer) {
    boost::system::error_code ec;
    return doc.find_pointer(pointer, ec);
}

std::string lowercase(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "please include your order number" -> "Please include your order number."
std::string sentence(std::string phrase) {
    phrase = trim(phrase);
    if (phrase.empty()) return phrase;
    phrase.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(phrase.front())));
    if (std::string(".!?").find(phrase.back()) == std::string::npos) phrase += '.';
    return phrase;
}

class TemplateResponder : public agenthost::Agent {
public:
    TemplateResponder(const agenthost::HostApi& /*host*/, std::string_view config_json) {
        const json::object config = json::parse(config_json).as_object();
        for (const auto& [key, text] : config.at("templates").as_object()) {
            templates_.emplace(std::string(key), compile(std::string(key), std::string(text.as_string())));
        }
        if (const json::value* s = config.if_contains("select")) select_ = s->as_string();
        if (const json::value* r = config.if_contains("revise")) revise_ = r->as_bool();
        if (const json::value* r = config.if_contains("revisions")) {
            for (const auto& [phrase, text] : r->as_object()) {
                revisions_.emplace(lowercase(std::string(phrase)), compile(std::string(phrase), std::string(text.as_string())));
            }
        }
    }

    std::string invoke(agenthost::Context& /*ctx*/, const agenthost::Input& input) override {
        const json::value in = json::parse(input.json);
        std::string key = "default";
        if (!select_.empty()) {
            const json::value* chosen = find(in, select_);
            if (chosen != nullptr && chosen->is_string() && templates_.count(std::string(chosen->get_string())) != 0) {
                key = chosen->get_string();
            }
        }
        std::string text = fill(templates_.at(key), in);
        if (revise_) {
            if (std::string paragraph = closing_paragraph(in, text); !paragraph.empty()) {
                text.erase(text.find_last_not_of(" \t\r\n") + 1);  // npos + 1 == 0: all blank
                text += (text.empty() ? "" : "\n\n") + paragraph;
            }
        }
        return json::serialize(json::object{{"text", text}, {"template", key}});
    }

private:
    static std::string fill(const std::vector<Piece>& pieces, const json::value& in) {
        std::string text;
        for (const Piece& piece : pieces) {
            if (piece.pointer.empty()) {
                text += piece.literal;
                continue;
            }
            const json::value* v = find(in, piece.pointer);
            std::string value = v != nullptr ? render(*v) : std::string();
            text += value.empty() ? piece.fallback : value;
        }
        return text;
    }

    // The missing phrases the text does not already hold, as one paragraph:
    // each through its revision template when config has one, else as a sentence.
    std::string closing_paragraph(const json::value& in, const std::string& text) const {
        const json::value* missing = find(in, "/feedback/missing");
        if (missing == nullptr || !missing->is_array()) return {};
        const std::string have = lowercase(text);
        std::string paragraph;
        for (const json::value& phrase : missing->get_array()) {
            if (!phrase.is_string() || have.find(lowercase(std::string(phrase.get_string()))) != std::string::npos) continue;
            auto revision = revisions_.find(lowercase(std::string(phrase.get_string())));
            std::string s = revision != revisions_.end() ? fill(revision->second, in)
                                                         : sentence(std::string(phrase.get_string()));
            if (!s.empty()) paragraph += (paragraph.empty() ? "" : " ") + s;
        }
        return paragraph;
    }

    std::map<std::string, std::vector<Piece>> templates_;
    std::string select_;
    bool revise_ = false;
    std::map<std::string, std::vector<Piece>> revisions_;  // by lowercased phrase
};

}  // namespace

AGENTHOST_PLUGIN_WITH_FLAGS(TemplateResponder, manifest, AH_PLUGIN_CONCURRENT_INVOKE)
