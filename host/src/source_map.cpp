// source_map.cpp: a scanner over relaxed JSON that notes where each value starts.
// Boost.JSON's DOM keeps no positions, so the text is read a second time here,
// with the same rules (comments and trailing commas allowed).
#include <agenthost/host/source_map.hpp>

#include <algorithm>
#include <cstdint>
#include <unordered_set>

namespace agenthost {

std::string escape_pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

class SourceMap::Scanner {
public:
    Scanner(std::string_view text, SourceMap& map) : text_(text), map_(map) {}

    void run() {
        if (!skip_space() || !value(std::string(), npos, 0) || !skip_space()) return;
        if (pos_ < text_.size()) fail("the end of the document");  // a file holds one document
    }

private:
    // Deeper than any config and far above Boost.JSON's default limit (32),
    // but low enough that recursion cannot exhaust the stack.
    static constexpr int max_depth = 1000;

    bool fail(std::string_view expected) {
        map_.error_ = std::min(pos_, text_.size());
        map_.expected_ = expected;
        return false;
    }
    bool at_end() const noexcept { return pos_ >= text_.size(); }
    char peek() const noexcept { return at_end() ? '\0' : text_[pos_]; }

    // Whitespace and comments.
    bool skip_space() {
        while (!at_end()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                ++pos_;
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
                const std::size_t end = text_.find('\n', pos_);
                pos_ = end == npos ? text_.size() : end + 1;
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
                const std::size_t end = text_.find("*/", pos_ + 2);
                if (end == npos) {
                    pos_ = text_.size();
                    return fail("\"*/\" to end the comment");
                }
                pos_ = end + 2;
            } else {
                break;
            }
        }
        return true;
    }

    bool value(const std::string& pointer, std::size_t key, int depth) {
        if (depth > max_depth) return fail("at most 1000 levels of nesting");
        if (at_end()) return fail("a value");
        // The parser keeps the last of duplicate keys, so a later value replaces an earlier one.
        map_.entries_[pointer] = Entry{pos_, key};
        switch (peek()) {
            case '{': return object(pointer, depth);
            case '[': return array(pointer, depth);
            case '"': return string(nullptr);
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            default: return number();
        }
    }

    bool object(const std::string& pointer, int depth) {
        ++pos_;  // '{'
        std::unordered_set<std::string> seen;
        for (;;) {
            if (!skip_space()) return false;
            if (peek() == '}') break;
            if (peek() != '"') return fail("a \"quoted\" key or \"}\"");
            const std::size_t key_at = pos_;
            std::string key;
            if (!string(&key) || !skip_space()) return false;
            if (peek() != ':') return fail("\":\"");
            ++pos_;
            if (!skip_space()) return false;
            std::string child = pointer + '/' + escape_pointer_token(key);
            if (!seen.insert(key).second) {
                map_.duplicates_.push_back({child, key_at});
                forget_below(child);  // the repeat's value replaces the first one's
            }
            if (!value(child, key_at, depth + 1) || !skip_space()) return false;
            if (peek() == ',') {
                ++pos_;
                continue;  // a trailing comma is fine: the loop then finds '}'
            }
            if (peek() != '}') return fail("\",\" or \"}\"");
            break;
        }
        ++pos_;  // '}'
        return true;
    }

    bool array(const std::string& pointer, int depth) {
        ++pos_;  // '['
        for (std::size_t index = 0;; ++index) {
            if (!skip_space()) return false;
            if (peek() == ']') break;
            if (!value(pointer + '/' + std::to_string(index), npos, depth + 1) || !skip_space()) return false;
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() != ']') return fail("\",\" or \"]\"");
            break;
        }
        ++pos_;  // ']'
        return true;
    }

    void forget_below(const std::string& pointer) {
        const std::string prefix = pointer + '/';
        std::erase_if(map_.entries_, [&](const auto& entry) { return entry.first.starts_with(prefix); });
    }

    // A string; when `decoded` is given, its value with escapes resolved (keys name pointers).
    bool string(std::string* decoded) {
        ++pos_;  // '"'
        while (!at_end()) {
            const char c = text_[pos_++];
            if (c == '"') return true;
            if (c != '\\') {
                if (decoded) *decoded += c;
                continue;
            }
            if (at_end()) break;
            const char e = text_[pos_++];
            if (e == 'u') {
                if (!unicode_escape(decoded)) return false;
                continue;
            }
            const char* const from = "\"\\/bfnrt";
            const char* const to = "\"\\/\b\f\n\r\t";
            const char* found = std::char_traits<char>::find(from, 8, e);
            if (!found) return fail("an escape such as \\n, \\\" or \\u00e9");
            if (decoded) *decoded += to[found - from];
        }
        return fail("a closing quote");
    }

    bool hex4(uint32_t& out) {
        if (text_.size() - pos_ < 4) return fail("four hex digits after \\u");
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            uint32_t digit = 0;
            if (c >= '0' && c <= '9') digit = static_cast<uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') digit = static_cast<uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') digit = static_cast<uint32_t>(c - 'A' + 10);
            else return fail("four hex digits after \\u");
            out = out * 16 + digit;
        }
        return true;
    }

    // After "\u": one code unit, or a surrogate pair, appended as UTF-8.
    bool unicode_escape(std::string* decoded) {
        uint32_t code = 0;
        if (!hex4(code)) return false;
        if (code >= 0xD800 && code < 0xDC00 && text_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            uint32_t low = 0;
            if (!hex4(low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return fail("a low surrogate, \\udc00 to \\udfff");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        if (decoded) append_utf8(*decoded, code);
        return true;
    }

    static void append_utf8(std::string& out, uint32_t code) {
        const auto byte = [](uint32_t b) { return static_cast<char>(static_cast<unsigned char>(b)); };
        if (code < 0x80) {
            out += byte(code);
        } else if (code < 0x800) {
            out += byte(0xC0 | (code >> 6));
            out += byte(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            out += byte(0xE0 | (code >> 12));
            out += byte(0x80 | ((code >> 6) & 0x3F));
            out += byte(0x80 | (code & 0x3F));
        } else {
            out += byte(0xF0 | (code >> 18));
            out += byte(0x80 | ((code >> 12) & 0x3F));
            out += byte(0x80 | ((code >> 6) & 0x3F));
            out += byte(0x80 | (code & 0x3F));
        }
    }

    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return fail("a value");
        pos_ += word.size();
        return true;
    }

    // Positions only: the parser has already judged the number's form.
    bool number() {
        const std::size_t start = pos_;
        while (!at_end() && std::string_view("+-0123456789.eE").find(peek()) != npos) ++pos_;
        return pos_ > start || fail("a value");
    }

    std::string_view text_;
    SourceMap& map_;
    std::size_t pos_ = 0;
};

SourceMap::SourceMap(std::string_view text) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] == '\n') line_starts_.push_back(i + 1);
    Scanner(text, *this).run();
}

const SourceMap::Entry* SourceMap::find(std::string_view pointer) const {
    const auto it = entries_.find(std::string(pointer));
    return it == entries_.end() ? nullptr : &it->second;
}

std::string_view SourceMap::nearest(std::string_view pointer) const {
    while (!pointer.empty() && !find(pointer)) {
        const std::size_t slash = pointer.rfind('/');
        pointer = pointer.substr(0, slash == npos ? 0 : slash);
    }
    return pointer;
}

TextPosition SourceMap::at(std::string_view pointer) const {
    const Entry* entry = find(nearest(pointer));
    return entry ? position(entry->value) : TextPosition{};
}

TextPosition SourceMap::key_at(std::string_view pointer) const {
    const Entry* entry = find(pointer);
    return entry && entry->key != npos ? position(entry->key) : at(pointer);
}

TextPosition SourceMap::position(std::size_t offset) const noexcept {
    // The last line starting at or before `offset`; columns count bytes, as position_of() does.
    const auto line = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - 1;
    return TextPosition{static_cast<std::size_t>(line - line_starts_.begin()) + 1, offset - *line + 1};
}

}  // namespace agenthost
