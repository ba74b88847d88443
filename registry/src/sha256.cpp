// sha256.cpp: streams a file through OpenSSL's SHA-256 to check a plugin against its pin.
#include <agenthost/registry/sha256.hpp>

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace agenthost {

Result<std::string> sha256_file(const std::filesystem::path& file) {
    const auto fail = [&](std::string why) {
        return Error{file.string(), "cannot compute sha256: " + std::move(why), {}};
    };
    errno = 0;
    const std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"), &std::fclose);
    if (!in) return fail("cannot open the file: " + std::generic_category().message(errno));

    const std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return fail("OpenSSL could not start a digest");

    // Plugins can be large; a fixed buffer keeps memory flat whatever the file size.
    std::array<unsigned char, 64 * 1024> buffer{};
    while (const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in.get())) {
        if (EVP_DigestUpdate(ctx.get(), buffer.data(), n) != 1) return fail("OpenSSL could not update the digest");
    }
    // fread also fails on a directory (EISDIR), which fopen happily opens.
    if (std::ferror(in.get())) return fail("cannot read the file: " + std::generic_category().message(errno));

    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(ctx.get(), digest.data(), &size) != 1) return fail("OpenSSL could not finish the digest");

    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0x0f];
    }
    return out;
}

}  // namespace agenthost
