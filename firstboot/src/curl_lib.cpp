#include "curl_lib.hpp"

#include <dlfcn.h>

#include <string>

namespace keel::firstboot {

namespace {

template <class F>
bool resolve(void* handle, const char* name, F& out) {
  out = reinterpret_cast<F>(::dlsym(handle, name));
  return out != nullptr;
}

Result<CurlLib> load() {
  void* h = ::dlopen(kCurlSoname, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return fail_msg(std::string("cannot load ") + kCurlSoname + " (" + ::dlerror() +
                    "); the image needs the package libcurl3-gnutls");
  CurlLib c{};
  bool ok = resolve(h, "curl_easy_init", c.easy_init) &&
            resolve(h, "curl_easy_setopt", c.easy_setopt) &&
            resolve(h, "curl_easy_perform", c.easy_perform) &&
            resolve(h, "curl_easy_getinfo", c.easy_getinfo) &&
            resolve(h, "curl_easy_cleanup", c.easy_cleanup) &&
            resolve(h, "curl_easy_strerror", c.easy_strerror) &&
            resolve(h, "curl_slist_append", c.slist_append) &&
            resolve(h, "curl_slist_free_all", c.slist_free_all) && resolve(h, "curl_url", c.url) &&
            resolve(h, "curl_url_set", c.url_set) && resolve(h, "curl_url_get", c.url_get) &&
            resolve(h, "curl_url_cleanup", c.url_cleanup) && resolve(h, "curl_free", c.free);
  decltype(&::curl_global_init) global_init = nullptr;
  ok = ok && resolve(h, "curl_global_init", global_init);
  if (!ok) return fail_msg(std::string(kCurlSoname) + " lacks a function keel-firstboot uses");
  if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return fail_msg(std::string(kCurlSoname) + ": curl_global_init failed");
  return c;
}

}  // namespace

Result<const CurlLib*> curl_lib() {
  static const Result<CurlLib> lib = load();
  if (!lib) return fail(lib.error());
  return &*lib;
}

}  // namespace keel::firstboot
