#include "jwks/key_store.hpp"

#include <atomic>
#include <mutex>
#include <utility>

#include "common/logger.hpp"
#include "common/run_error.hpp"
#include "jwks/https_client.hpp"
#include "jwks/jwks_cache.hpp"
#include "jwks/url.hpp"

namespace jwtbatch::jwks {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

std::string format_age(seconds age) {
    long long total = age.count();
    if (total < 120) {
        return std::to_string(total) + " s";
    }
    if (total < 2 * 3600) {
        return std::to_string(total / 60) + " min";
    }
    if (total < 2 * 86400) {
        return std::to_string(total / 3600) + " h";
    }
    return std::to_string(total / 86400) + " days";
}

/// Makes a `kid` taken from a token safe for one log line: printable ASCII, at most 64 bytes.
std::string printable_kid(std::string_view kid) {
    std::string out;
    for (char c : kid.substr(0, 64)) {
        out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (kid.size() > 64) {
        out.append("...");
    }
    return out;
}

} // namespace

/// One `--jwks` value and the keys it gave.
struct key_source {
    std::string name; ///< the path, or the URL without its query
    std::optional<url> address;
    key_set keys;
    std::optional<cache_entry> entry;
    /// Last request to the server, successful or not, or the cached fetch time.
    std::optional<system_clock::time_point> last_contact;
};

struct key_store::impl {
    fetch_options options;
    std::vector<key_source> sources;
    std::optional<jwks_cache> cache;
    std::atomic<std::shared_ptr<const key_set>> current;
    std::mutex refresh_mutex;
    std::atomic<size_t> refreshes{0};
    bool has_url = false;

    void load_url(key_source& source);
    bool fetch_url(key_source& source, bool conditional, std::string& failure);
    std::optional<key_set> cached_keys(key_source& source) const;
    void use_cached_keys(key_source& source, key_set keys, seconds age, std::string_view why);
    std::shared_ptr<const key_set> merge_sources() const;
};

key_store::key_store(std::vector<std::string> sources, fetch_options options)
    : impl_(std::make_unique<impl>()) {
    impl_->options = std::move(options);
    if (sources.empty()) {
        throw common::run_error("no key source: pass --jwks FILE or --jwks URL");
    }
    for (auto& value : sources) {
        key_source source;
        if (looks_like_url(value)) {
            std::string error;
            source.address = parse_url(value, error);
            if (!source.address) {
                throw common::run_error("invalid --jwks URL: " + error
                                        + ": use https://host[:port]/path");
            }
            source.name = source.address->redacted();
            if (!source.address->is_https() && !impl_->options.allow_http) {
                throw common::run_error("JWKS URL " + source.name
                                        + " uses plain http, which lets anyone on the network "
                                          "replace the keys: use https, or --allow-http for "
                                          "tests and private networks");
            }
            impl_->has_url = true;
        } else {
            source.name = value;
        }
        impl_->sources.push_back(std::move(source));
    }
    if (impl_->has_url) {
        impl_->cache.emplace(impl_->options.cache_dir);
    }
    for (auto& source : impl_->sources) {
        if (source.address) {
            impl_->load_url(source);
        } else {
            source.keys = load_jwks_file(source.name);
            common::log_info("JWKS file " + source.name + ": " + std::to_string(source.keys.size())
                             + " keys: " + source.keys.describe_kids());
        }
    }
    impl_->current.store(impl_->merge_sources());
}

key_store::~key_store() = default;

std::shared_ptr<const key_set> key_store::snapshot() const { return impl_->current.load(); }

size_t key_store::refresh_count() const noexcept { return impl_->refreshes.load(); }

std::shared_ptr<const key_set> key_store::refresh_for_unknown_kid(std::string_view kid) {
    if (!impl_->has_url || impl_->options.offline) {
        return nullptr;
    }
    std::lock_guard lock(impl_->refresh_mutex);
    auto current = impl_->current.load();
    if (current->find(kid) != nullptr) {
        // Another thread refreshed while this one waited for the lock.
        return current;
    }
    auto now = system_clock::now();
    bool fetched = false;
    for (auto& source : impl_->sources) {
        if (!source.address
            || (source.last_contact && now - *source.last_contact < impl_->options.refresh_cooldown
                && now >= *source.last_contact)) {
            continue;
        }
        common::log_info("JWKS " + source.name + ": fetching again for unknown kid \""
                         + printable_kid(kid) + "\"");
        std::string failure;
        // The refresh sends no validators, because one such as nginx's mtime-size ETag can miss a
        // change. The cooldown check above keeps it to one request per cooldown.
        if (!impl_->fetch_url(source, false, failure)) {
            common::log_warn("JWKS " + source.name + ": refresh failed: " + failure
                             + ": keeping the keys loaded before");
        }
        fetched = true;
    }
    if (!fetched) {
        return nullptr;
    }
    impl_->refreshes.fetch_add(1);
    std::shared_ptr<const key_set> merged;
    try {
        merged = impl_->merge_sources();
    } catch (const common::run_error& error) {
        common::log_error(std::string("refreshed keys not used: ") + error.what());
        return nullptr;
    }
    impl_->current.store(merged);
    return merged;
}

std::shared_ptr<const key_set> key_store::impl::merge_sources() const {
    auto merged = std::make_shared<key_set>();
    for (const auto& source : sources) {
        merged->merge(source.keys, source.name);
    }
    return merged;
}

/// Returns the keys of the cached entry, or nullopt (after a warning) when it has no usable key.
std::optional<key_set> key_store::impl::cached_keys(key_source& source) const {
    if (!source.entry) {
        return std::nullopt;
    }
    try {
        return parse_jwks(source.entry->body, "the cache entry for " + source.name);
    } catch (const common::run_error& error) {
        common::log_warn(std::string("ignoring the cache entry: ") + error.what());
        source.entry.reset();
        return std::nullopt;
    }
}

/// Fetches `source` and on success replaces its keys and cache entry. With `conditional`, sends
/// the cached validators and treats 304 as success. Returns false with `failure` set otherwise;
/// an invalid body never replaces the cache entry.
bool key_store::impl::fetch_url(key_source& source, bool conditional, std::string& failure) {
    http_validators validators;
    if (conditional && source.entry) {
        validators = {source.entry->etag, source.entry->last_modified};
    }
    auto now = system_clock::now();
    source.last_contact = now;
    http_response response;
    try {
        response = http_get(*source.address, options, validators);
    } catch (const fetch_error& error) {
        failure = error.what();
        return false;
    }
    if (response.status == 304 && conditional && source.entry) {
        source.entry->fetched_at = now;
        if (!response.etag.empty()) {
            source.entry->etag = response.etag;
        }
        if (!response.last_modified.empty()) {
            source.entry->last_modified = response.last_modified;
        }
        if (response.max_age) {
            source.entry->max_age = response.max_age;
        }
        cache->write(*source.address, *source.entry);
        common::log_info("JWKS " + source.name + ": revalidated, status 304, "
                         + std::to_string(source.keys.size())
                         + " keys: " + source.keys.describe_kids());
        return true;
    }
    if (response.status != 200) {
        failure = "HTTP status " + std::to_string(response.status) + " " + response.reason;
        return false;
    }
    key_set keys;
    try {
        keys = parse_jwks(response.body, "the response from " + source.name);
    } catch (const common::run_error& error) {
        failure = error.what();
        return false;
    }
    cache_entry entry{std::move(response.body),
                      now,
                      std::move(response.etag),
                      std::move(response.last_modified),
                      response.max_age};
    cache->write(*source.address, entry);
    source.entry = std::move(entry);
    source.keys = std::move(keys);
    common::log_info("JWKS " + source.name + ": fetched, status 200, "
                     + std::to_string(source.keys.size())
                     + " keys: " + source.keys.describe_kids());
    return true;
}

/// Serves `source` from its cache entry without a request.
void key_store::impl::use_cached_keys(key_source& source,
                                      key_set keys,
                                      seconds age,
                                      std::string_view why) {
    source.keys = std::move(keys);
    source.last_contact = source.entry->fetched_at;
    common::log_info("JWKS " + source.name + ": using the cache entry from " + format_age(age)
                     + " ago (" + std::string(why) + "), keys: " + source.keys.describe_kids());
}

/// Loads a URL source from the cache when fresh, else from the server, falling back to a
/// stale entry within `max_stale`. Throws `common::run_error` when neither gives keys.
void key_store::impl::load_url(key_source& source) {
    source.entry = cache->read(*source.address);
    auto cached = cached_keys(source);
    auto now = system_clock::now();
    std::optional<seconds> age;
    if (cached && source.entry->fetched_at <= now) {
        age = std::chrono::duration_cast<seconds>(now - source.entry->fetched_at);
    }
    seconds fresh_for = options.ttl;
    if (cached && source.entry->max_age && *source.entry->max_age < fresh_for) {
        fresh_for = *source.entry->max_age;
    }
    bool usable_when_stale = age && *age <= options.max_stale;
    if (options.offline) {
        if (!usable_when_stale) {
            std::string state = !cached ? "no usable cache entry"
                                : age   ? "a cache entry " + format_age(*age)
                                            + " old, older than --jwks-max-stale"
                                        : "a cache entry with a fetch time in the future";
            throw common::run_error("cannot load JWKS from " + source.name
                                    + " with --offline: " + state + " in "
                                    + cache->directory()
                                    + ": run once without --offline to fill the cache");
        }
        use_cached_keys(source, std::move(*cached), *age, "--offline");
        return;
    }
    if (age && *age < fresh_for) {
        use_cached_keys(source, std::move(*cached), *age, "fresh, no request");
        return;
    }
    if (cached) {
        source.keys = std::move(*cached);
    }
    std::string failure;
    if (fetch_url(source, cached.has_value(), failure)) {
        return;
    }
    if (usable_when_stale) {
        common::log_warn("JWKS " + source.name + ": " + failure + ": using the cache entry from "
                         + format_age(*age) + " ago (within --jwks-max-stale "
                         + std::to_string(options.max_stale.count())
                         + " s), keys: " + source.keys.describe_kids());
        return;
    }
    std::string cache_state = !cached ? "no cached copy in " + cache->directory()
                                      : "the cached copy is too old for --jwks-max-stale "
                                            + std::to_string(options.max_stale.count()) + " s";
    throw common::run_error("cannot load JWKS from " + source.name + ": " + failure + ": "
                            + cache_state
                            + (failure.find("--cacert") == std::string::npos
                                   ? ": check the URL and the network, pass --cacert for a "
                                     "private CA, or raise --jwks-timeout or --jwks-max-stale"
                                   : ": if the server is slow or down, raise --jwks-timeout or "
                                     "--jwks-max-stale"));
}

} // namespace jwtbatch::jwks
