// service_directory.hpp: where the registry looks up host services for plugins.
#pragma once

#include <string_view>

namespace agenthost {

//! The host's services by id. The registry checks permissions first and asks
//! here only for ids the instance may use, so an implementation need not.
class ServiceDirectory {
public:
    virtual ~ServiceDirectory() = default;
    //! The function table for `id` (e.g. an ah_log_v1), or nullptr when the
    //! host does not offer it. The table must outlive every plugin instance.
    virtual const void* find(std::string_view id) const noexcept = 0;
};

}  // namespace agenthost
