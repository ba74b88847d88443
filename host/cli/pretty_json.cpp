// pretty_json.cpp: a recursive printer; strings and most scalars go through
// Boost.JSON so that escaping is exactly the serializer's; doubles are written
// the shortest way that reads back the same (Boost.JSON writes 0.93 as 9.3E-1).
#include "pretty_json.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>
#include <string_view>

namespace agenthost::cli {
namespace {

void print(std::string& out, const boost::json::value& value, std::size_t indent) {
    const auto newline = [&](std::size_t spaces) {
        out += '\n';
        out.append(spaces, ' ');
    };
    if (const auto* object = value.if_object(); object != nullptr && !object->empty()) {
        out += '{';
        bool first = true;
        for (const auto& member : *object) {
            if (!first) out += ',';
            first = false;
            newline(indent + 2);
            out += boost::json::serialize(boost::json::value(member.key()));
            out += ": ";
            print(out, member.value(), indent + 2);
        }
        newline(indent);
        out += '}';
    } else if (const auto* array = value.if_array(); array != nullptr && !array->empty()) {
        out += '[';
        bool first = true;
        for (const auto& element : *array) {
            if (!first) out += ',';
            first = false;
            newline(indent + 2);
            print(out, element, indent + 2);
        }
        newline(indent);
        out += ']';
    } else if (value.is_double() && std::isfinite(value.get_double())) {
        // The shortest text that reads back as the same double: 0.93, not 9.3E-1.
        char text[32];
        const auto [end, ec] = std::to_chars(text, text + sizeof text, value.get_double());
        std::string_view shown(text, static_cast<std::size_t>(end - text));
        out += shown;
        // Still a double to whoever parses it again.
        if (ec == std::errc() && shown.find_first_of(".eE") == std::string_view::npos) out += ".0";
    } else {
        out += boost::json::serialize(value);  // other scalars, "" and the empty {} and []
    }
}

}  // namespace

std::string pretty_json(const boost::json::value& value, std::size_t indent) {
    std::string out;
    print(out, value, indent);
    return out;
}

std::string string_at(const boost::json::object* object, std::string_view key) {
    const boost::json::value* v = object != nullptr ? object->if_contains(key) : nullptr;
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace agenthost::cli
