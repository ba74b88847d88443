// pretty_json.cpp: a recursive printer; scalars and strings go through Boost.JSON
// so that escaping is exactly the serializer's.
#include "pretty_json.hpp"

#include <boost/json/serialize.hpp>

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
    } else {
        out += boost::json::serialize(value);  // scalars, "" and the empty {} and []
    }
}

}  // namespace

std::string pretty_json(const boost::json::value& value, std::size_t indent) {
    std::string out;
    print(out, value, indent);
    return out;
}

}  // namespace agenthost::cli
