// libcurl, loaded with dlopen(3) the first time it is needed: a URL to check in the
// user-data, or the metadata service to ask. keel-firstboot runs at every boot
// without user-data, and libcurl-gnutls pulls in 30 more libraries (GnuTLS, Kerberos,
// LDAP, ...) whose loading costs about 0.1 s of boot under emulation; most boots need
// none of it. systemd loads its optional libraries the same way (src/shared/dlfcn-util).
// The image must still carry it: images list libcurl3-gnutls in their packages.
#pragma once

#include <curl/curl.h>

#include "keel/common/error.hpp"

namespace keel::firstboot {

inline constexpr const char* kCurlSoname = "libcurl-gnutls.so.4";  // Debian's libcurl3-gnutls

struct CurlLib {
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_url) url;
  decltype(&::curl_url_set) url_set;
  decltype(&::curl_url_get) url_get;
  decltype(&::curl_url_cleanup) url_cleanup;
  decltype(&::curl_free) free;
};

// The loaded library (curl_global_init done), or an error naming what is missing.
// Loaded once per process; never unloaded.
Result<const CurlLib*> curl_lib();

}  // namespace keel::firstboot
