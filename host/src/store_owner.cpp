// store_owner.cpp: store instances' liveness, by flock.
#include "store_owner.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>

namespace agenthost::sqlite {

namespace {

std::string fresh_id() {
    std::random_device random;
    char text[17];
    std::snprintf(text, sizeof text, "%08x%08x", random(), random());
    return text;
}

// An owner id names a file in the folder: nothing else may pass.
bool plain_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    for (char c : id)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

}  // namespace

Result<StoreOwner> StoreOwner::open(const std::filesystem::path& store_file) {
    std::filesystem::path folder = store_file;
    folder += ".owners";
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    if (ec) {
        return Error{folder.string(), "cannot create the folder where open run stores are registered: " + ec.message(),
                     "the run store's folder must be writable", {}};
    }
    const std::string id = fresh_id();
    const std::filesystem::path file = folder / id;
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Error{file.string(), std::string("cannot create: ") + std::strerror(errno), {}, {}};
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int saved = errno;
        ::close(fd);
        return Error{file.string(), std::string("cannot lock: ") + std::strerror(saved), {}, {}};
    }
    // For people looking at the folder: which process holds it.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::write(fd, pid.data(), pid.size()) < 0) {
        // Only informative.
    }
    return StoreOwner(std::move(folder), id, fd);
}

StoreOwner::StoreOwner(StoreOwner&& other) noexcept
    : folder_(std::move(other.folder_)), id_(std::move(other.id_)), fd_(std::exchange(other.fd_, -1)) {}

StoreOwner::~StoreOwner() {
    if (fd_ < 0) return;
    std::error_code ec;
    std::filesystem::remove(folder_ / id_, ec);  // before the unlock, so that no one finds it unlocked and ours
    ::close(fd_);
}

bool StoreOwner::held_by_another(std::string_view owner) const {
    if (owner == id_ || !plain_id(owner)) return false;
    const std::filesystem::path file = folder_ / std::string(owner);
    const int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;  // gone: its store was closed, or its file was cleaned up
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (!held) {
        std::error_code ec;
        std::filesystem::remove(file, ec);  // a dead owner's file
    }
    ::close(fd);
    return held;
}

}  // namespace agenthost::sqlite
