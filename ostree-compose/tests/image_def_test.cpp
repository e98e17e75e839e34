#include "keel/compose/image_def.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "keel/common/sys.hpp"
#include "keel/testing/temp_dir.hpp"
#include "keel/update/config.hpp"

using keel::testing::TempDir;

using namespace keel::compose;

namespace {
const std::string kFlavours = std::string(KEEL_SOURCE_DIR) + "/kernel/flavours";

const char* kMinimal = R"(
containers = ["c/hello.toml"]
[os]
name = "keel"
version = "1.2.3"
[kernel]
flavour = "cloud"
args = ["console=ttyS0"]
[packages]
include = ["libc6",
           "libstdc++6"]
[images.busybox]
packages = ["busybox-static"]
)";
}  // namespace

TEST(ImageDef, ShippedDefaultImageParses) {
  auto r = load_image_def(std::string(KEEL_SOURCE_DIR) + "/images/default.toml", kFlavours);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->branch(), "keel/x86_64/default");
  EXPECT_EQ(r->kernel_package, "linux-image-cloud-amd64");
  EXPECT_EQ(r->container_defs.size(), 2u);  // network, hello
}

TEST(ImageDef, ParsesAndRemembersPackagePositions) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  auto r = load_image_def(d.write("img.toml", kMinimal), kFlavours);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->os_version, "1.2.3");
  ASSERT_EQ(r->packages.size(), 2u);
  EXPECT_EQ(r->packages[1].where, d.path() + "/img.toml:11:12");
  EXPECT_EQ(r->images[0].name, "busybox");
}

TEST(ImageDef, ImageFilesAreResolvedBesideTheDefinition) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  d.write("c/x.sh", "#!/bin/sh\n");
  auto r = load_image_def(
      d.write("img.toml", std::string(kMinimal) + "files = { \"/etc/x.sh\" = \"c/x.sh\" }\n"),
      kFlavours);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->images[0].files.size(), 1u);
  EXPECT_EQ(r->images[0].files[0].target, "/etc/x.sh");
  EXPECT_EQ(r->images[0].files[0].source, d.path() + "/c/x.sh");
}

TEST(ImageDef, BadImageFilesNameTheLine) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  d.write("c/x.sh", "#!/bin/sh\n");
  struct Case {
    const char* files;
    const char* says;
  };
  for (auto [files, says] : {Case{R"("etc/x" = "c/x.sh")", "must be an absolute path"},
                             Case{R"("/etc/../x" = "c/x.sh")", "without '.' or '..'"},
                             Case{R"("/etc/" = "c/x.sh")", "must be an absolute path"},
                             Case{R"("/etc/x" = 1)", "must name a source file"},
                             Case{R"("/etc/x" = "c/nope.sh")", "is not a regular file"}}) {
    auto path = d.write("img.toml", std::string(kMinimal) + "files = { " + files + " }\n");
    auto r = load_image_def(path, kFlavours);
    ASSERT_FALSE(r) << files;
    EXPECT_NE(r.error().message().find(says), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("img.toml:14:"), std::string::npos) << r.error().message();
  }
}

TEST(ImageDef, SyntaxErrorNamesFileAndLine) {
  TempDir d;
  auto r = load_image_def(d.write("bad.toml", "[os]\nname = \"keel\nversion = \"1\"\n"), kFlavours);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("bad.toml:2:"), std::string::npos) << r.error().message();
}

TEST(ImageDef, UnknownFlavourIsExplained) {
  TempDir d;
  std::string text = kMinimal;
  text.replace(text.find("\"cloud\""), 7, "\"potato\"");
  d.write("c/hello.toml", "image = \"busybox\"\n");
  auto r = load_image_def(d.write("img.toml", text), kFlavours);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("unknown kernel flavour 'potato'"), std::string::npos);
  EXPECT_NE(r.error().message().find("img.toml:7:11:"), std::string::npos) << r.error().message();
}

TEST(ImageDef, ContainerNeedsAnImageTheDefinitionBuilds) {
  TempDir d;
  d.write("c/hello.toml", "image = \"alpine\"\n");
  auto r = load_image_def(d.write("img.toml", kMinimal), kFlavours);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("uses image 'alpine'"), std::string::npos);
}

TEST(ImageDef, MissingSectionsAndTyposAreErrors) {
  TempDir d;
  EXPECT_FALSE(load_image_def(d.write("a.toml", "[os]\nname=\"k\"\nversion=\"1\"\n"), kFlavours));
  auto r = load_image_def(d.write("b.toml", "[os]\nname=\"k\"\nversoin=\"1\"\n"), kFlavours);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("unknown key 'versoin'"), std::string::npos);
}

TEST(ImageDef, HostNameAndSysctls) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  auto path = d.write("i.toml", std::string(kMinimal) +
                                    "[host]\nhostname = \"edge-1\"\n[host.sysctl]\n"
                                    "\"vm.max_map_count\" = 262144\n"
                                    "\"net.ipv4.ip_forward\" = \"1\"\n");
  auto r = load_image_def(path, kFlavours);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->hostname, "edge-1");
  ASSERT_EQ(r->sysctl.size(), 2u);
  // In key order (toml++ keeps a table's keys sorted): the file is reproducible.
  EXPECT_EQ(r->sysctl[0], (std::pair<std::string, std::string>{"net.ipv4.ip_forward", "1"}));
  EXPECT_EQ(r->sysctl[1], (std::pair<std::string, std::string>{"vm.max_map_count", "262144"}));
}

TEST(ImageDef, BadSysctlsNameTheLine) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  auto bad = [&](const std::string& host, const std::string& what) {
    auto path = d.write("i.toml", std::string(kMinimal) + host);
    auto r = load_image_def(path, kFlavours);
    ASSERT_FALSE(r) << host;
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  };
  bad("[host.sysctl]\n\"../../etc/x\" = 1\n", "i.toml:15:");
  bad("[host.sysctl]\n\"../../etc/x\" = 1\n", "is not a sysctl name");
  bad("[host.sysctl]\n\"vm.swappiness\" = \"1\\n2\"\n", "a number or a one-line string");
  bad("[host]\nhostname = \"Not Valid\"\n", "hostname must be");
  bad("[host]\nname = \"x\"\n", "name");
}

TEST(ImageDef, OneDefinitionComposesWithEitherFlavour) {
  std::string path = std::string(KEEL_SOURCE_DIR) + "/images/hwmatrix.toml";
  auto cloud = load_image_def(path, kFlavours);
  ASSERT_TRUE(cloud) << cloud.error().message();
  EXPECT_EQ(cloud->branch(), "keel/x86_64/hwmatrix");
  EXPECT_EQ(cloud->kernel_package, "linux-image-cloud-amd64");
  auto has = [](const std::vector<std::string>& v, const std::string& m) {
    return std::find(v.begin(), v.end(), m) != v.end();
  };
  // Drivers come from [hardware]; the generic-only target (AHCI, e1000e) and the
  // generic-only modules (ext4) apply only with the generic flavour.
  ASSERT_TRUE(cloud->hardware);
  EXPECT_EQ(cloud->hardware->targets, std::vector<std::string>{"qemu"});
  EXPECT_FALSE(has(cloud->initramfs_modules, "ext4"));  // built into the cloud kernel
  EXPECT_TRUE(has(cloud->modules, "overlay"));

  auto generic = load_image_def(path, kFlavours, "generic");
  ASSERT_TRUE(generic) << generic.error().message();
  EXPECT_EQ(generic->variant, "hwmatrix-generic");
  EXPECT_EQ(generic->branch(), "keel/x86_64/hwmatrix-generic");
  EXPECT_EQ(generic->kernel_flavour, "generic");
  EXPECT_EQ(generic->kernel_package, "linux-image-amd64");
  ASSERT_TRUE(generic->hardware);
  EXPECT_EQ(generic->hardware->targets, (std::vector<std::string>{"qemu", "qemu-generic"}));
  EXPECT_TRUE(has(generic->initramfs_modules, "ext4"));
  EXPECT_TRUE(has(generic->modules, "overlay"));  // [kernel]'s lists stay
  EXPECT_FALSE(generic->all_modules);

  auto same = load_image_def(path, kFlavours, "cloud");  // explicit: its own branch too
  ASSERT_TRUE(same) << same.error().message();
  EXPECT_EQ(same->branch(), "keel/x86_64/hwmatrix-cloud");
}

TEST(ImageDef, FlavourTargetsMustNameAFlavour) {
  std::string path = std::string(KEEL_SOURCE_DIR) + "/images/hwmatrix.toml";
  auto text = keel::sys::read_file(path);
  ASSERT_TRUE(text);
  std::string bad = *text;
  bad.replace(bad.find("generic = [\"qemu-generic\"]"), 7, "potato ");
  std::string tmp = ::testing::TempDir() + "flavour-targets.toml";
  ASSERT_TRUE(keel::sys::write_file_atomic(tmp, bad));
  auto r = load_image_def(tmp, kFlavours);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("there is no kernel flavour 'potato'"), std::string::npos)
      << r.error().message();
}

TEST(ImageDef, BadFlavourOverrideIsExplained) {
  std::string path = std::string(KEEL_SOURCE_DIR) + "/images/hwmatrix.toml";
  auto r = load_image_def(path, kFlavours, "potato");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("keel-compose --flavour potato: unknown kernel flavour"),
            std::string::npos)
      << r.error().message();
  r = load_image_def(path, kFlavours, "../cloud");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("a flavour name is a-z, 0-9, '-'"), std::string::npos)
      << r.error().message();
}

TEST(ImageDef, FlavourModuleTablesAreChecked) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  auto bad = [&](const std::string& kernel, const std::string& what) {
    std::string text = kMinimal;
    text.insert(text.find("[packages]"), kernel);
    auto r = load_image_def(d.write("i.toml", text), kFlavours);
    ASSERT_FALSE(r) << kernel;
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  };
  bad("[kernel.flavour_modules.potato]\nmodules = [\"e1000e\"]\n",
      "i.toml:9:1: [kernel.flavour_modules.potato]: there is no kernel flavour 'potato'");
  bad("[kernel.flavour_modules.generic]\nmodule = [\"e1000e\"]\n", "unknown key 'module'");
  bad("[kernel.flavour_modules]\ngeneric = [\"e1000e\"]\n",
      "[kernel.flavour_modules.generic] must be a table");
  // Checked although the image uses the cloud flavour: a typo never waits for a compose.
  bad("[kernel.flavour_modules.generic]\ninitramfs_modules = [\"*\"]\n",
      "initramfs_modules cannot be \"*\"");
}

TEST(ImageDef, StarKeepsEveryModule) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  std::string text = kMinimal;
  text.insert(text.find("[packages]"),
              "modules = [\"overlay\"]\n[kernel.flavour_modules.generic]\nmodules = [\"*\"]\n");
  auto cloud = load_image_def(d.write("i.toml", text), kFlavours);
  ASSERT_TRUE(cloud) << cloud.error().message();
  EXPECT_FALSE(cloud->all_modules);
  auto generic = load_image_def(d.path() + "/i.toml", kFlavours, "generic");
  ASSERT_TRUE(generic) << generic.error().message();
  EXPECT_TRUE(generic->all_modules);
  EXPECT_EQ(generic->modules, std::vector<std::string>{"overlay"});
}

TEST(ImageDef, BootSettingsConsolesAndGates) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  d.write("c/net.toml", "image = \"busybox\"\nrestart = \"always\"\n");
  std::string base = std::string(kMinimal);
  base.replace(base.find("[\"c/hello.toml\"]"), 16, "[\"c/hello.toml\", \"c/net.toml\"]");
  // Defaults: serial GRUB, console= from [kernel] args as before, gates = restart always.
  auto r = load_image_def(d.write("a.toml", base), kFlavours);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->boot.console, keel::bootloader::Console::serial);
  EXPECT_EQ(r->kernel_args, std::vector<std::string>{"console=ttyS0"});
  EXPECT_EQ(r->boot.gates, std::vector<std::string>{"net"});
  // [boot] console decides the kernel's consoles when args names none.
  std::string no_console = base;
  no_console.replace(no_console.find("args = [\"console=ttyS0\"]"), 24, "args = [\"quiet\"]");
  r = load_image_def(d.write("b.toml", no_console + "[boot]\nconsole = \"both\"\ngates = []\n"),
                     kFlavours);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->kernel_args,
            (std::vector<std::string>{"quiet", "console=tty0", "console=ttyS0,115200"}));
  EXPECT_EQ(r->boot.gates, std::vector<std::string>{});
  r = load_image_def(d.write("c.toml", no_console), kFlavours);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kernel_args, (std::vector<std::string>{"quiet", "console=ttyS0,115200"}));
}

TEST(ImageDef, BadBootSettingsNameTheLine) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  auto bad = [&](const std::string& extra, const std::string& want) {
    auto r = load_image_def(d.write("i.toml", std::string(kMinimal) + extra), kFlavours);
    ASSERT_FALSE(r) << extra;
    EXPECT_NE(r.error().message().find(want), std::string::npos) << r.error().message();
  };
  bad("[boot]\nconsole = \"serial\"\n",
      "i.toml:8:8: [kernel] args names a console= and [boot] "
      "console is set: keep one");
  bad("[boot]\ngates = [\"nosuch\"]\n",
      "i.toml:15:9: [boot] gates: this image has no container "
      "'nosuch'");
  bad("[boot]\ntries = 0\n", "i.toml:15:9: tries = 0");
  bad("[boot]\nconsole = \"vga\"\n", "i.toml:15:11: console = \"vga\"");
  bad("[disk]\nroot_label = \"my root\"\n", "i.toml:15:14: root_label must be 1-16 characters");
}

// [update] is checked by the host's own parser and written out without the image-only keys.
TEST(ImageDef, UpdateDefaultsAndKeys) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  d.write("keys/release.pub", "Ne8dG/CbRACmy46VQKTgZe2riowpeAxsx1fgU4igjSQ=\n");
  auto path = d.write("i.toml", std::string(kMinimal) +
                                    "[update]\nurl = \"https://updates.example/keel/\"\n"
                                    "policy = \"automatic\"\nkeys = [\"keys/release.pub\"]\n"
                                    "[update.window]\nstart = \"03:00\"\nduration = \"2h\"\n");
  auto r = load_image_def(path, kFlavours);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->update_keys.size(), 1u);
  EXPECT_EQ(r->update_keys[0].value, d / "keys/release.pub");
  EXPECT_EQ(r->update_keys[0].where, path + ":17:9");
  // What the host will read, parsed back with the host's loader.
  auto written = d.write("update.toml", r->update_toml);
  auto cfg = keel::update::load_update_config({written});
  ASSERT_TRUE(cfg) << cfg.error().message() << "\n" << r->update_toml;
  EXPECT_EQ(cfg->url, "https://updates.example/keel/");
  EXPECT_EQ(cfg->policy, keel::update::Policy::automatic);
  ASSERT_TRUE(cfg->window);
  EXPECT_EQ(cfg->window->length_min, 120);
  EXPECT_EQ(r->update_toml.find("keys"), std::string::npos) << r->update_toml;
}

TEST(ImageDef, BadUpdateSectionNamesTheLine) {
  TempDir d;
  d.write("c/hello.toml", "image = \"busybox\"\n");
  d.write("bad.pub", "not a key\n");
  auto bad = [&](const std::string& update, const std::string& what) {
    auto r = load_image_def(d.write("i.toml", std::string(kMinimal) + update), kFlavours);
    ASSERT_FALSE(r) << update;
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  };
  bad("[update]\npolicy = \"often\"\n", "i.toml:15:10: policy 'often' is not one of");
  bad("[update]\nurls = \"http://x\"\n", "unknown key 'urls' in [update] (known keys: url,");
  bad("[update]\nkeys = [\"missing.pub\"]\n", "i.toml:15:9: [update] keys:");
  bad("[update]\nkeys = [\"bad.pub\"]\n", "bad.pub:1: not an ed25519 public key");
  bad("[update.window]\nstart = \"3am\"\nduration = \"1h\"\n", "[update.window] start '3am'");
}
