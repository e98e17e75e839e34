// The EC2-style metadata service over libcurl. Only plain HTTP to the link-local
// address is expected (the service has no TLS); no proxy may be involved, and a
// redirect is not followed: the answer must come from the service itself.
// EC2 instances may require IMDSv2: a session token from PUT /latest/api/token, sent
// back in a header (AWS "Use the Instance Metadata Service", as cloud-init does). A
// service without tokens (OpenStack, IMDSv1) refuses the PUT; then the GET goes
// without one.
#include <fmt/format.h>

#include <memory>
#include <thread>

#include "curl_lib.hpp"
#include "keel/firstboot/sources.hpp"
#include "keel/firstboot/user_data.hpp"

namespace keel::firstboot {

namespace {

struct Body {
  std::string text;
  bool too_large = false;
};

size_t on_data(char* data, size_t size, size_t count, void* userdata) {
  auto* body = static_cast<Body*>(userdata);
  size_t n = size * count;
  if (body->text.size() + n > kMaxUserData) {
    body->too_large = true;
    return 0;  // libcurl then stops with CURLE_WRITE_ERROR
  }
  body->text.append(data, n);
  return n;
}

struct Attempt {
  CURLcode code = CURLE_OK;
  long status = 0;
  Body body;
};

// One request: GET, or PUT with an empty body when `put`.
Attempt request(const CurlLib& curl, const std::string& url, const MetadataOptions& o,
                const std::string& header, bool put) {
  Attempt a;
  std::unique_ptr<CURL, decltype(curl.easy_cleanup)> c(curl.easy_init(), curl.easy_cleanup);
  std::unique_ptr<curl_slist, decltype(curl.slist_free_all)> headers(
      header.empty() ? nullptr : curl.slist_append(nullptr, header.c_str()), curl.slist_free_all);
  if (!c || (!header.empty() && !headers)) {
    a.code = CURLE_FAILED_INIT;
    return a;
  }
  curl.easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  if (put) {
    curl.easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, "PUT");
    curl.easy_setopt(c.get(), CURLOPT_POSTFIELDS, "");
  }
  if (headers) curl.easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl.easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http");
  curl.easy_setopt(c.get(), CURLOPT_NOPROXY, "*");
  curl.easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl.easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(o.connect_timeout.count()));
  curl.easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl.easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, on_data);
  curl.easy_setopt(c.get(), CURLOPT_WRITEDATA, &a.body);
  a.code = curl.easy_perform(c.get());
  curl.easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &a.status);
  return a;
}

// An IMDSv2 session token for `url` (".../latest/user-data" -> ".../latest/api/token"),
// as the header to send, or "" when the service has none to give.
std::string session_header(const CurlLib& curl, const std::string& url, const MetadataOptions& o) {
  constexpr std::string_view kPath = "/latest/user-data";
  if (!url.ends_with(kPath)) return {};
  std::string token_url = url.substr(0, url.size() - kPath.size()) + "/latest/api/token";
  Attempt t = request(curl, token_url, o, "X-aws-ec2-metadata-token-ttl-seconds: 300", true);
  bool ok = t.code == CURLE_OK && t.status == 200 && !t.body.text.empty() &&
            t.body.text.size() <= 512 && t.body.text.find_first_of("\r\n") == std::string::npos;
  return ok ? "X-aws-ec2-metadata-token: " + t.body.text : std::string();
}

}  // namespace

MetadataAnswer fetch_metadata(const std::string& url, const MetadataOptions& options) {
  MetadataAnswer out;
  auto lib = curl_lib();
  if (!lib) {
    out.detail = lib.error().message();
    return out;
  }
  const CurlLib& curl = **lib;
  for (int i = 1; i <= options.tries; ++i) {
    Attempt a = request(curl, url, options, session_header(curl, url, options), false);
    if (a.body.too_large) {
      out.detail =
          fmt::format("{} answered with more than {} bytes of user-data", url, kMaxUserData);
      return out;  // unreachable: a broken answer is not worth retrying
    }
    if (a.code == CURLE_OK && a.status == 200) {
      out.kind = MetadataAnswer::Kind::found;
      out.text = std::move(a.body.text);
      return out;
    }
    if (a.code == CURLE_OK && a.status == 404) {
      out.kind = MetadataAnswer::Kind::none;
      out.detail = fmt::format("{} has no user-data for this host (HTTP 404)", url);
      return out;
    }
    out.detail = a.code != CURLE_OK
                     ? fmt::format("{}: {} (try {} of {})", url, curl.easy_strerror(a.code), i,
                                   options.tries)
                     : fmt::format("{}: HTTP {} (try {} of {})", url, a.status, i, options.tries);
    if (i < options.tries) std::this_thread::sleep_for(options.pause);
  }
  return out;
}

}  // namespace keel::firstboot
