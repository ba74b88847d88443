// keyword-classifier: deterministic triage. Rules in config map keywords to a
// category and an urgency; the output carries the confidence of the match.
#include <agenthost/sdk.hpp>

#include <boost/json/src.hpp>  // header-only Boost.JSON, private to this plugin

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

namespace {

namespace json = boost::json;

constexpr const char* manifest = R"json({
  "name": "keyword-classifier",
  "version": "1.0.0",
  "description": "Classifies text into a category and urgency by keyword rules from config.",
  "sdk_abi": "1.1",
  "config_schema": {
    "type": "object",
    "required": ["categories"],
    "properties": {
      "categories": {
        "type": "array", "minItems": 1,
        "items": {
          "type": "object", "required": ["name", "keywords"],
          "properties": {
            "name": {"type": "string", "minLength": 1},
            "keywords": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
          },
          "additionalProperties": false
        }
      },
      "urgent_keywords": {"type": "array", "items": {"type": "string", "minLength": 1}},
      "default_category": {"type": "string", "minLength": 1}
    },
    "additionalProperties": false
  },
  "input_schema": {
    "type": "object", "required": ["text"],
    "properties": {"text": {"type": "string"}}
  },
  "output_schema": {
    "type": "object", "required": ["category", "urgency", "confidence", "matched"],
    "properties": {
      "category": {"type": "string"},
      "urgency": {"enum": ["normal", "high"]},
      "confidence": {"type": "number", "minimum": 0, "maximum": 1},
      "matched": {"type": "array", "items": {"type": "string"}}
    },
    "additionalProperties": false
  }
})json";

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::vector<std::string> strings(const json::value* array) {
    std::vector<std::string> out;
    if (array == nullptr) return out;
    for (const json::value& v : array->as_array()) out.push_back(lowercase(v.as_string()));
    return out;
}

struct Category {
    std::string name;
    std::vector<std::string> keywords;
};

class KeywordClassifier : public agenthost::Agent {
public:
    // The host validated the config against config_schema, so its shape is known.
    KeywordClassifier(const agenthost::HostApi& /*host*/, std::string_view config_json) {
        json::object config = json::parse(config_json).as_object();
        for (const json::value& c : config.at("categories").as_array()) {
            categories_.push_back({std::string(c.at("name").as_string()), strings(c.as_object().if_contains("keywords"))});
        }
        urgent_ = strings(config.if_contains("urgent_keywords"));
        if (const json::value* d = config.if_contains("default_category")) default_ = d->as_string();
    }

    std::string invoke(agenthost::Context& /*ctx*/, const agenthost::Input& input) override {
        const std::string text = lowercase(json::parse(input.json).at("text").as_string());
        // The category with the most keyword hits wins; ties go to the one listed first.
        const Category* best = nullptr;
        std::vector<std::string> best_hits;
        std::size_t total_hits = 0;
        for (const Category& c : categories_) {
            std::vector<std::string> hits;
            for (const std::string& k : c.keywords)
                if (text.find(k) != std::string::npos) hits.push_back(k);
            total_hits += hits.size();
            if (hits.size() > best_hits.size()) {
                best = &c;
                best_hits = std::move(hits);
            }
        }
        const bool urgent = std::any_of(urgent_.begin(), urgent_.end(),
                                        [&](const std::string& k) { return text.find(k) != std::string::npos; });
        json::object out;
        out["category"] = best ? best->name : default_;
        out["urgency"] = urgent ? "high" : "normal";
        // The share of all hits that went to the winner, discounted when there were few hits.
        double confidence = 0.0;
        if (best != nullptr) {
            const double share = static_cast<double>(best_hits.size()) / static_cast<double>(total_hits);
            const double support = std::min(1.0, static_cast<double>(best_hits.size()) / 2.0);
            confidence = share * (0.5 + 0.5 * support);
        }
        out["confidence"] = confidence;
        json::array matched;
        for (const std::string& k : best_hits) matched.emplace_back(k);
        out["matched"] = std::move(matched);
        return json::serialize(out);
    }

private:
    std::vector<Category> categories_;
    std::vector<std::string> urgent_;
    std::string default_ = "general";
};

}  // namespace

AGENTHOST_PLUGIN_WITH_FLAGS(KeywordClassifier, manifest, AH_PLUGIN_CONCURRENT_INVOKE)
