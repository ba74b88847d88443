// kb-search: BM25 (k1 = 1.2, b = 0.75) over a folder of Markdown documents.
// Every heading starts a section (the heading and the body under it); the
// index is built once, at create, and is read-only afterwards, so calls run
// concurrently. Paths are used as written: a relative folder is relative to
// the process's working directory.
#include <agenthost/sdk.hpp>

#include <boost/json/src.hpp>  // header-only Boost.JSON, private to this plugin

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr const char* manifest = R"json({
  "name": "kb-search",
  "version": "1.0.0",
  "description": "Finds the sections of a folder of Markdown documents that best answer a query (BM25).",
  "sdk_abi": "1.1",
  "config_schema": {
    "type": "object",
    "required": ["folder"],
    "properties": {
      "folder": {"type": "string", "minLength": 1},
      "top_k": {"type": "integer", "minimum": 1, "maximum": 100},
      "min_score": {"type": "number", "minimum": 0}
    },
    "additionalProperties": false
  },
  "input_schema": {
    "type": "object", "required": ["query"],
    "properties": {
      "query": {"type": "string"},
      "category": {"type": "string"}
    },
    "additionalProperties": false
  },
  "output_schema": {
    "type": "object", "required": ["results", "best", "found"],
    "properties": {
      "results": {"type": "array", "items": {
        "type": "object", "required": ["doc", "section", "score", "text"],
        "properties": {"doc": {"type": "string"}, "section": {"type": "string"},
                       "score": {"type": "number", "minimum": 0}, "text": {"type": "string"}},
        "additionalProperties": false
      }},
      "best": {"type": "string"},
      "found": {"type": "boolean"}
    },
    "additionalProperties": false
  }
})json";

constexpr double k1 = 1.2, b = 0.75;
constexpr double category_boost = 1.5;  // for sections whose front matter, file name, title or heading name the category
constexpr std::size_t text_limit = 600;

const std::set<std::string> stopwords = {
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "has", "have",
    "how", "i", "if", "in", "is", "it", "its", "me", "my", "no", "not", "of", "on", "or", "our", "so", "that",
    "the", "their", "there", "this", "to", "was", "we", "what", "when", "where", "which", "will", "with", "you",
    "your"};

// Lowercase ASCII words split on anything else (bytes of UTF-8 sequences stay
// inside words), stopwords dropped, and a plural "s" folded so that "refunds"
// finds "refund".
std::vector<std::string> tokenize(std::string_view text) {
    std::vector<std::string> tokens;
    std::string word;
    auto flush = [&] {
        if (!word.empty() && stopwords.count(word) == 0) {
            if (word.size() > 3 && word.back() == 's' && word[word.size() - 2] != 's') word.pop_back();
            tokens.push_back(word);
        }
        word.clear();
    };
    for (unsigned char c : text) {
        if (std::isalnum(c) || c >= 0x80) word.push_back(static_cast<char>(std::tolower(c)));
        else flush();
    }
    flush();
    return tokens;
}

std::string trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

// At most `limit` bytes, cut at a space so that no word or UTF-8 sequence is split.
std::string shorten(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t cut = text.rfind(' ', limit);
    if (cut == std::string::npos || cut == 0) {
        cut = limit;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    }
    return trim(std::string_view(text).substr(0, cut)) + "\xE2\x80\xA6";  // U+2026 ellipsis
}

struct Section {
    std::string doc;      // path relative to the folder
    std::string heading;  // heading text without the #s; the file name for text before any heading
    std::string body;     // trimmed
    std::set<std::string> meta;  // tokens of the front matter, file name, title and heading
    std::unordered_map<std::string, double> tf;
    double length = 0;
    std::string title;  // the document's "# " heading: sections are found by what their document is about, too
};

// "## Refunds ##" -> "Refunds"; "" when the line is not an ATX heading.
std::string heading_of(const std::string& line) {
    std::size_t level = 0;
    while (level < line.size() && line[level] == '#') ++level;
    if (level == 0 || level > 6 || (level < line.size() && line[level] != ' ' && line[level] != '\t')) return {};
    std::string text = trim(std::string_view(line).substr(level));
    const auto closing = text.find_last_not_of('#');  // an optional closing run of #s after a space
    if (closing != std::string::npos && closing + 1 < text.size() && text[closing] == ' ') text.resize(closing);
    return trim(text);
}

void split_document(const std::string& doc, std::istream& in, std::vector<Section>& out) {
    const std::string stem = fs::path(doc).stem().string();
    std::string line, front_matter, title, heading = stem, body;
    bool in_fence = false, first_line = true;
    auto emit = [&] {  // a heading with no body of its own (a title over subsections) is no result
        if (std::string text = trim(body); !text.empty()) {
            const auto meta = tokenize(front_matter + "\n" + stem + "\n" + title + "\n" + heading);
            out.push_back({doc, heading, std::move(text), {meta.begin(), meta.end()}, {}, 0, title});
        }
        body.clear();
    };
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (std::exchange(first_line, false) && line == "---") {  // YAML front matter: metadata, not text
            while (std::getline(in, line) && trim(line) != "---") front_matter += line + "\n";
            continue;
        }
        if (line.rfind("```", 0) == 0 || line.rfind("~~~", 0) == 0) in_fence = !in_fence;
        if (std::string h = in_fence ? std::string() : heading_of(line); !h.empty()) {
            emit();
            if (title.empty() && line.rfind("# ", 0) == 0) title = h;
            heading = h;
        } else {
            body += line + "\n";
        }
    }
    emit();
}

class KbSearch : public agenthost::Agent {
public:
    KbSearch(const agenthost::HostApi& /*host*/, std::string_view config_json) {
        const json::object config = json::parse(config_json).as_object();
        const std::string folder(config.at("folder").as_string());
        if (const json::value* k = config.if_contains("top_k")) top_k_ = k->to_number<std::size_t>();
        if (const json::value* m = config.if_contains("min_score")) min_score_ = m->to_number<double>();

        std::error_code ec;
        if (!fs::is_directory(folder, ec)) {
            throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT, "kb-search: folder \"" + folder + "\" not found");
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::recursive_directory_iterator(folder, fs::directory_options::skip_permission_denied)) {
            const auto ext = entry.path().extension();
            if (entry.is_regular_file() && (ext == ".md" || ext == ".markdown")) files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());  // a stable order makes ties deterministic
        for (const fs::path& file : files) {
            std::ifstream in(file, std::ios::binary);
            if (!in) throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT, "kb-search: cannot read " + file.string());
            split_document(fs::relative(file, folder).generic_string(), in, sections_);
        }
        if (sections_.empty()) {
            throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT,
                                     "kb-search: folder \"" + folder + "\" has no Markdown documents (.md)");
        }
        double total_length = 0;
        for (Section& s : sections_) {
            const std::string context = s.title == s.heading ? std::string() : s.title + "\n";
            for (const std::string& t : tokenize(context + s.heading + "\n" + s.body)) s.tf[t] += 1;
            for (const auto& [term, count] : s.tf) s.length += count;
            for (const auto& [term, count] : s.tf) document_frequency_[term] += 1;
            total_length += s.length;
        }
        average_length_ = std::max(1.0, total_length / static_cast<double>(sections_.size()));
    }

    std::string invoke(agenthost::Context& /*ctx*/, const agenthost::Input& input) override {
        const json::object in = json::parse(input.json).as_object();
        std::vector<std::string> terms = tokenize(in.at("query").as_string());
        std::sort(terms.begin(), terms.end());
        terms.erase(std::unique(terms.begin(), terms.end()), terms.end());  // each query term counts once
        std::vector<std::string> category;
        if (const json::value* c = in.if_contains("category")) category = tokenize(c->as_string());

        std::vector<std::pair<double, std::size_t>> ranked;
        for (std::size_t i = 0; i < sections_.size(); ++i) {
            double score = bm25(sections_[i], terms);
            const auto& meta = sections_[i].meta;
            if (!category.empty() && std::all_of(category.begin(), category.end(),
                                                 [&](const std::string& t) { return meta.count(t) != 0; })) {
                score *= category_boost;
            }
            score = std::round(score * 10000.0) / 10000.0;
            if (score > 0 && score >= min_score_) ranked.emplace_back(score, i);
        }
        // Highest score first; ties keep document order.
        std::stable_sort(ranked.begin(), ranked.end(), [](const auto& l, const auto& r) { return l.first > r.first; });
        if (ranked.size() > top_k_) ranked.resize(top_k_);

        json::array results;
        for (const auto& [score, i] : ranked) {
            const Section& s = sections_[i];
            results.push_back(json::object{{"doc", s.doc}, {"section", s.heading}, {"score", score},
                                           {"text", shorten(s.body, text_limit)}});
        }
        json::object out;
        out["best"] = results.empty() ? json::string() : results.front().at("text").as_string();
        out["found"] = !results.empty();
        out["results"] = std::move(results);
        return json::serialize(out);
    }

private:
    double bm25(const Section& s, const std::vector<std::string>& terms) const {
        const double n = static_cast<double>(sections_.size());
        double score = 0;
        for (const std::string& term : terms) {
            const auto tf = s.tf.find(term);
            if (tf == s.tf.end()) continue;
            const double df = document_frequency_.at(term);
            const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
            score += idf * tf->second * (k1 + 1) / (tf->second + k1 * (1 - b + b * s.length / average_length_));
        }
        return score;
    }

    std::vector<Section> sections_;
    std::map<std::string, double> document_frequency_;  // sections that contain the term
    double average_length_ = 1;
    std::size_t top_k_ = 3;
    double min_score_ = 0;
};

}  // namespace

AGENTHOST_PLUGIN_WITH_FLAGS(KbSearch, manifest, AH_PLUGIN_CONCURRENT_INVOKE)
