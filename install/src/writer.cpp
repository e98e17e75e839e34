#include <archive.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/fs.h>
#include <sodium.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>

#include "keel/common/sys.hpp"
#include "keel/install/install.hpp"

namespace keel::install {

namespace {

constexpr size_t kBlock = 4u << 20;

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
using Archive = std::unique_ptr<archive, ArchiveDeleter>;

// The image as one stream of bytes: libarchive's "raw" format reads a file that is not
// an archive, through whichever compression filter its bytes call for (or none).
Result<Archive> open_image(const std::string& image) {
  Archive a(archive_read_new());
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_filename(a.get(), image.c_str(), kBlock) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &entry) != ARCHIVE_OK)
    return fail_msg(fmt::format("reading the image {}: {}", image, archive_error_string(a.get())));
  return a;
}

// Calls f(data, size) for each block of the image.
template <class F>
Result<uint64_t> each_block(const std::string& image, F&& f) {
  auto a = TRY(open_image(image));
  std::unique_ptr<char[]> buf(new char[kBlock]);
  uint64_t total = 0;
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buf.get(), kBlock);
    if (n < 0)
      return fail_msg(
          fmt::format("reading the image {}: {}", image, archive_error_string(a.get())));
    if (n == 0) return total;
    TRY(f(buf.get(), static_cast<size_t>(n)));
    total += static_cast<uint64_t>(n);
  }
}

std::string hex(const unsigned char* d, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", d[i]);
  return s;
}

// A compressed image's size is known only by reading it: measure before writing, so a
// too-small disk is refused before its first byte changes.
Result<uint64_t> image_size(const std::string& image) {
  return each_block(image, [](const char*, size_t) -> Result<void> { return {}; });
}

}  // namespace

Result<Written> write_image(const std::string& image, const Target& target) {
  uint64_t size = TRY(image_size(image));
  if (size > target.bytes)
    return fail_msg(fmt::format("the image is {} MiB, {} only {} MiB. Fix: use a bigger disk",
                                size >> 20, target.path, target.bytes >> 20));
  if (sodium_init() < 0) return fail_msg("libsodium failed to initialise");
  auto fd = TRY(sys::open(target.path, O_WRONLY | O_EXCL | O_CLOEXEC));
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  Written w;
  w.bytes = TRY(each_block(image, [&](const char* d, size_t n) -> Result<void> {
    crypto_hash_sha256_update(&h, reinterpret_cast<const unsigned char*>(d), n);
    return with_context(sys::write_all(fd.get(), {d, n}), "writing " + target.path);
  }));
  if (::fsync(fd.get()) < 0) return fail_errno("fsync " + target.path);
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&h, out);
  w.sha256 = hex(out, sizeof out);
  // The kernel reads the new partition table; failure only delays that to the next boot.
  (void)::ioctl(fd.get(), BLKRRPART);
  return w;
}

Result<void> verify_written(const Target& target, const Written& w) {
  auto fd = TRY(sys::open(target.path, O_RDONLY | O_CLOEXEC));
  // Drop the device's cached pages so the reads below come from the disk itself.
  if (::ioctl(fd.get(), BLKFLSBUF) < 0) return fail_errno("BLKFLSBUF " + target.path);
  crypto_hash_sha256_state h;
  crypto_hash_sha256_init(&h);
  std::unique_ptr<unsigned char[]> buf(new unsigned char[kBlock]);
  for (uint64_t done = 0; done < w.bytes;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kBlock, w.bytes - done));
    ssize_t n = ::pread(fd.get(), buf.get(), want, static_cast<off_t>(done));
    if (n < 0) return fail_errno("reading back " + target.path);
    if (n == 0) return fail_msg(fmt::format("{} ended at {} bytes", target.path, done));
    crypto_hash_sha256_update(&h, buf.get(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&h, out);
  if (hex(out, sizeof out) != w.sha256)
    return fail_msg(
        fmt::format("{} reads back differently from what was written (sha256 {} "
                    "!= {}): the disk may be failing. Fix: try another disk",
                    target.path, hex(out, sizeof out), w.sha256));
  return {};
}

}  // namespace keel::install
