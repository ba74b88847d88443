// shout: the smallest useful agent. It upper-cases {"text": "..."} and says how it went.
#include <agenthost/sdk.hpp>

#include <cctype>
#include <string>

namespace {

constexpr const char* manifest = R"json({
  "name": "shout",
  "version": "1.0.0",
  "description": "Upper-cases the input text.",
  "sdk_abi": "1.1",
  "config_schema": {"type": "object", "additionalProperties": false},
  "input_schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
  "output_schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
})json";

// The raw (still escaped) JSON string value of "text". A real plugin would use
// a JSON library; this one stays dependency-free so it builds wherever the SDK does.
std::string raw_text_field(std::string_view json) {
    auto key = json.find("\"text\"");
    auto colon = key == std::string_view::npos ? key : json.find(':', key);
    auto open = colon == std::string_view::npos ? colon : json.find('"', colon);
    if (open == std::string_view::npos) throw agenthost::Failure(AH_ERR_INVALID_ARGUMENT, "input has no text");
    std::string out;
    for (std::size_t i = open + 1; i < json.size() && json[i] != '"'; ++i) {
        if (json[i] == '\\' && i + 1 < json.size()) out += json[i++];
        out += json[i];
    }
    return out;
}

// Upper-cases ASCII letters, leaving escape sequences (\n, \u00e9) as they are.
std::string shout(const std::string& escaped) {
    std::string out = escaped;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\\') {
            i += out[i + 1] == 'u' ? 5 : 1;
            continue;
        }
        out[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[i])));
    }
    return out;
}

class Shout : public agenthost::Agent {
public:
    // The config was validated against config_schema before the host created us.
    Shout(const agenthost::HostApi& host, std::string_view /*config_json*/) {
        host.log(agenthost::LogLevel::info, "shout created");
    }

    std::string invoke(agenthost::Context& ctx, const agenthost::Input& input) override {
        std::string text = shout(raw_text_field(input.json));
        ctx.log(agenthost::LogLevel::debug, "shouting");
        return R"({"text": ")" + text + R"("})";
    }
};

}  // namespace

AGENTHOST_PLUGIN(Shout, manifest)
