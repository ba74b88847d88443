// host_services.hpp: the services the host offers plugins through get_extension.
//
// The registry asks a ServiceDirectory for a service only once the instance is
// allowed to use it; HostServices answers with the C function tables. Those
// tables are static, so each entry point finds its way back to the HostServices
// from the instance it is called for: AgentInstance::from_host(host)->services().
#pragma once

#include <agenthost/host/logging.hpp>
#include <agenthost/host/secret_store.hpp>
#include <agenthost/registry/service_directory.hpp>

#include <cstddef>
#include <memory>
#include <string_view>

namespace agenthost {

class HttpService;

class HostServices : public ServiceDirectory {
public:
    //! `logger` must outlive this object, and this object every instance that uses it.
    //! `secrets` answers "ah.secrets/1"; without a store the service is not offered.
    explicit HostServices(const Logger& logger, std::shared_ptr<const SecretStore> secrets = nullptr) noexcept
        : logger_(logger), secrets_(std::move(secrets)) {}

    //! "ah.log/1" → ah_log_v1; nullptr for an id the host does not offer.
    const void* find(std::string_view id) const noexcept override;

    const Logger& logger() const noexcept { return logger_; }
    const SecretStore* secrets() const noexcept { return secrets_.get(); }

    //! The HTTP client behind "ah.http/1"; without one the service is not offered.
    //! It must outlive every instance that uses it.
    void set_http(HttpService* http) noexcept { http_ = http; }
    HttpService* http() const noexcept { return http_; }

    //! The most bytes of one plugin log message that are kept; the rest is cut
    //! and marked, so one runaway plugin cannot flood the log.
    static constexpr std::size_t max_log_message = 64 * 1024;

private:
    const Logger& logger_;
    std::shared_ptr<const SecretStore> secrets_;
    HttpService* http_ = nullptr;
};

}  // namespace agenthost
