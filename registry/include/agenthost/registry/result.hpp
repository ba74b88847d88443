// result.hpp: Result<T>, the value-or-error type returned on the host's hot paths.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace agenthost {

//! A failure as a value: what went wrong and where (a file, a plugin, a JSON pointer).
struct Error {
    std::string where;    //!< e.g. "plugins/kb-search.so" or "config.json:12:5 /agents/triage"
    std::string message;  //!< what was wrong and what was expected
    std::string hint;     //!< what to do about it; may be empty
    std::string pointer = {};  //!< JSON pointer into the input at fault (e.g. "/config/suffix"), when known

    std::string to_string() const {
        std::string s = where.empty() ? message : where + ": " + message;
        if (!hint.empty()) s += " (" + hint + ")";
        return s;
    }
};

//! Either a T or an Error. Deliberately small: ok(), value(), error().
template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const Error& error() const& { return std::get<1>(v_); }

    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Error> v_;
};

}  // namespace agenthost
