// source_map.hpp: where each value of a JSON text is, by JSON pointer, so that
// a problem found in the parsed document can be reported at a line and column.
#pragma once

#include <agenthost/registry/json_text.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace agenthost {

//! Positions of the values in one JSON text, read the way parse_json(..., relaxed = true)
//! reads it: // and /* */ comments and trailing commas are allowed. Pointers are RFC 6901
//! ("/steps/route/cases/0/next", "~1" for '/' and "~0" for '~' in keys). Immutable once built.
class SourceMap {
public:
    static constexpr std::size_t npos = std::string_view::npos;

    struct Entry {
        std::size_t value = 0;    //!< byte offset of the value's first character
        std::size_t key = npos;   //!< byte offset of the opening quote of its key, for object members
    };

    //! A key that appears more than once in one object. The parser keeps the
    //! last one, and so does this map; `key` is where the repeat is.
    struct DuplicateKey {
        std::string pointer;
        std::size_t key = 0;
    };

    //! Scans `text`. Text that is not valid JSON is mapped up to the first error.
    explicit SourceMap(std::string_view text);

    //! The entry for exactly `pointer`, or nullptr when the text has no value there.
    const Entry* find(std::string_view pointer) const;
    //! `pointer` itself when it has a value, otherwise its nearest ancestor that does ("" at worst).
    std::string_view nearest(std::string_view pointer) const;
    //! Where the value at `pointer` starts, or that of its nearest existing ancestor.
    TextPosition at(std::string_view pointer) const;
    //! Where the key of the member at `pointer` starts; the value's position
    //! (as at()) for array elements, the root, and pointers with no value.
    TextPosition key_at(std::string_view pointer) const;
    //! The line and column of a byte offset, as position_of() computes it.
    TextPosition position(std::size_t offset) const noexcept;

    const std::vector<DuplicateKey>& duplicate_keys() const noexcept { return duplicates_; }
    //! The byte offset where scanning stopped on invalid text; npos when the text is valid.
    std::size_t error_offset() const noexcept { return error_; }
    //! What the text should have had at error_offset(), e.g. `"," or "}"`; empty when valid.
    const std::string& error_expected() const noexcept { return expected_; }
    std::size_t size() const noexcept { return entries_.size(); }

private:
    class Scanner;
    std::unordered_map<std::string, Entry> entries_;
    std::vector<DuplicateKey> duplicates_;
    std::vector<std::size_t> line_starts_;  //!< offset of each line's first byte
    std::size_t error_ = npos;
    std::string expected_;
};

//! `key` as one JSON pointer token: '~' → "~0", '/' → "~1".
std::string escape_pointer_token(std::string_view key);

}  // namespace agenthost
