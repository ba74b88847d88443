// temp_dir.hpp: a folder of a test's own under the system's temporary folder,
// made unique by mkdtemp and removed with everything in it at the end.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace agenthost::test {

class TempDir {
public:
    //! Creates <tmp>/agenthost-<prefix>-XXXXXX; throws std::runtime_error when it cannot.
    explicit TempDir(std::string_view prefix = "test") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / ("agenthost-" + std::string(prefix) + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("cannot create a temporary folder " + pattern);
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    //! `name` inside the folder (not created).
    std::filesystem::path file(std::string_view name) const { return path_ / name; }
    //! Writes `content` to `name` inside the folder and returns its path.
    std::filesystem::path write(std::string_view name, std::string_view content) const {
        const std::filesystem::path file = path_ / name;
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }

private:
    std::filesystem::path path_;
};

}  // namespace agenthost::test
