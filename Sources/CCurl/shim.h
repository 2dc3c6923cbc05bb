// libcurl's easy interface. curl_easy_setopt and curl_easy_getinfo are
// variadic, which Swift cannot call: these typed wrappers are the only
// additions, and hold no logic.
#include <curl/curl.h>

typedef size_t (*strata_curl_data_callback)(char *buffer, size_t size, size_t count, void *context);
typedef int (*strata_curl_progress_callback)(void *context, curl_off_t download_total, curl_off_t download_now,
                                             curl_off_t upload_total, curl_off_t upload_now);

static inline CURLcode strata_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strata_curl_set_size(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strata_curl_set_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strata_curl_set_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode strata_curl_set_headers(CURL *handle, struct curl_slist *headers) {
    return curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
}

static inline CURLcode strata_curl_set_data_callback(CURL *handle, CURLoption option, strata_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode strata_curl_set_progress_callback(CURL *handle, strata_curl_progress_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
}

static inline CURLcode strata_curl_response_code(CURL *handle, long *code) {
    return curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, code);
}

static inline CURLcode strata_curl_effective_url(CURL *handle, char **url) {
    return curl_easy_getinfo(handle, CURLINFO_EFFECTIVE_URL, url);
}
