// sha256.hpp: file digests for pinning a plugin to the exact bytes an operator approved.
#pragma once

#include <agenthost/registry/result.hpp>

#include <filesystem>
#include <string>

namespace agenthost {

//! The SHA-256 of a file's contents as 64 lowercase hex digits.
Result<std::string> sha256_file(const std::filesystem::path& file);

}  // namespace agenthost
