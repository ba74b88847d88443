// switch_router.cpp: the switch operators.
#include <agenthost/host/switch_router.hpp>

#include <algorithm>

namespace agenthost {

namespace {

std::optional<double> number(const boost::json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    if (v.is_double()) return v.get_double();
    return std::nullopt;
}

// JSON equality, except that 1 and 1.0 are equal: configs and agents disagree on number types.
bool same(const boost::json::value& a, const boost::json::value& b) {
    auto x = number(a), y = number(b);
    if (x && y) return *x == *y;
    return a == b;
}

}  // namespace

SwitchRouter::SwitchRouter(const SwitchStep& step) : default_next_(step.default_next) {
    for (const SwitchCase& c : step.cases) {
        Case compiled{c.op, c.value, std::nullopt, c.next};
        if (c.op == SwitchOp::matches && c.value.is_string()) {
            // The config loader has checked that the pattern compiles.
            compiled.regex.emplace(std::string(c.value.get_string()), std::regex::ECMAScript);
        }
        cases_.push_back(std::move(compiled));
    }
}

bool SwitchRouter::holds(const Case& c, const boost::json::value& value) {
    switch (c.op) {
        case SwitchOp::equals: return same(value, c.operand);
        case SwitchOp::one_of: {
            if (!c.operand.is_array()) return false;
            const auto& options = c.operand.get_array();
            return std::any_of(options.begin(), options.end(), [&](const auto& o) { return same(value, o); });
        }
        case SwitchOp::above:
        case SwitchOp::at_least:
        case SwitchOp::below:
        case SwitchOp::at_most: {
            auto v = number(value), limit = number(c.operand);
            if (!v || !limit) return false;
            if (c.op == SwitchOp::above) return *v > *limit;
            if (c.op == SwitchOp::at_least) return *v >= *limit;
            if (c.op == SwitchOp::below) return *v < *limit;
            return *v <= *limit;
        }
        case SwitchOp::matches:
            return c.regex && value.is_string() &&
                   std::regex_search(value.get_string().begin(), value.get_string().end(), *c.regex);
    }
    return false;
}

const std::string& SwitchRouter::route(const boost::json::value* value) const {
    if (value != nullptr) {
        for (const Case& c : cases_)
            if (holds(c, *value)) return c.next;
    }
    return default_next_;
}

}  // namespace agenthost
