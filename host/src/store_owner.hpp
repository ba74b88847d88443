// store_owner.hpp: which open run store instances are alive. Each instance of
// a SQLite store takes an id and holds an exclusive flock on a file of that
// name in "<store>.owners/" for as long as it is open; the kernel lets go of
// the lock when the process dies, however it dies. A run owned by an id
// whose file is locked is in flight in that instance; one whose file is not
// locked (or gone) was interrupted and may be resumed.
#pragma once

#include <agenthost/registry/result.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace agenthost::sqlite {

class StoreOwner {
public:
    //! Takes a fresh id for the store at `store_file` and locks its file.
    static Result<StoreOwner> open(const std::filesystem::path& store_file);

    StoreOwner(StoreOwner&& other) noexcept;
    StoreOwner& operator=(StoreOwner&&) = delete;
    StoreOwner(const StoreOwner&) = delete;
    //! Unlocks and removes its file.
    ~StoreOwner();

    const std::string& id() const noexcept { return id_; }

    //! Whether `owner` is another instance, still open. Removes the file of
    //! an owner found dead.
    bool held_by_another(std::string_view owner) const;

private:
    StoreOwner(std::filesystem::path folder, std::string id, int fd) noexcept
        : folder_(std::move(folder)), id_(std::move(id)), fd_(fd) {}

    std::filesystem::path folder_;
    std::string id_;
    int fd_ = -1;
};

}  // namespace agenthost::sqlite
