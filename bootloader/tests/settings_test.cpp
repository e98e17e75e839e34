#include "keel/bootloader/settings.hpp"

#include <gtest/gtest.h>

#include "keel/testing/temp_dir.hpp"

namespace keel::bootloader {
namespace {

using keel::testing::TempDir;

Result<BootSettings> parse(const std::string& text) {
  auto doc = TomlDoc::parse(text, "images/x.toml");
  if (!doc) return fail(doc.error());
  auto* t = doc->root().get_as<toml::table>("boot");
  return parse_boot_settings(*doc, *t, "[boot]");
}

TEST(BootSettings, Defaults) {
  auto s = parse("[boot]\n");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->console, Console::serial);
  EXPECT_EQ(s->menu_timeout_s, 1);
  EXPECT_EQ(s->tries, 3);
  EXPECT_EQ(s->deadline, std::chrono::seconds(120));
  EXPECT_FALSE(s->gates);
}

TEST(BootSettings, AllKeys) {
  auto s = parse(
      "[boot]\nconsole = \"both\"\nmenu_timeout = \"5s\"\ntries = 2\ndeadline = \"2m\"\n"
      "gates = [\"network\", \"db\"]\n");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->console, Console::both);
  EXPECT_EQ(s->menu_timeout_s, 5);
  EXPECT_EQ(s->tries, 2);
  EXPECT_EQ(s->deadline, std::chrono::seconds(120));
  EXPECT_EQ(s->gates, (std::vector<std::string>{"network", "db"}));
}

TEST(BootSettings, ErrorsNameTheLine) {
  auto console = parse("[boot]\n\nconsole = \"vga\"\n");
  ASSERT_FALSE(console);
  EXPECT_EQ(console.error().message(),
            "images/x.toml:3:11: console = \"vga\": use \"serial\", \"graphical\" or \"both\"");
  auto tries = parse("[boot]\ntries = 12\n");
  ASSERT_FALSE(tries);
  EXPECT_EQ(tries.error().message(),
            "images/x.toml:2:9: tries = 12: a new deployment gets 1 to 9 boot attempts");
  auto timeout = parse("[boot]\nmenu_timeout = \"500ms\"\n");
  ASSERT_FALSE(timeout);
  EXPECT_NE(timeout.error().message().find("images/x.toml:2:16: menu_timeout must be whole "
                                           "seconds"),
            std::string::npos);
  auto unknown = parse("[boot]\nconsoel = \"serial\"\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message().find("images/x.toml:2"), std::string::npos);
  auto zero = parse("[boot]\ndeadline = 0\n");
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message().find("deadline must be longer than 0 s"), std::string::npos);
}

TEST(BootSettings, RenderedFileReadsBack) {
  BootSettings s;
  s.console = Console::graphical;
  s.menu_timeout_s = 0;
  s.tries = 4;
  s.deadline = std::chrono::seconds(90);
  s.gates = std::vector<std::string>{"network"};
  TempDir d;
  std::string f = d.write("boot.toml", render_boot_settings(s, "images/x.toml [boot]"));
  auto back = load_boot_settings(f);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->console, Console::graphical);
  EXPECT_EQ(back->menu_timeout_s, 0);
  EXPECT_EQ(back->tries, 4);
  EXPECT_EQ(back->deadline, std::chrono::seconds(90));
  EXPECT_EQ(back->gates, std::vector<std::string>{"network"});
  s.gates = std::vector<std::string>{};
  f = d.write("boot.toml", render_boot_settings(s, "x"));
  EXPECT_EQ(load_boot_settings(f)->gates, std::vector<std::string>{});
}

TEST(BootSettings, ConsoleKernelArgs) {
  EXPECT_EQ(console_kernel_args(Console::serial), std::vector<std::string>{"console=ttyS0,115200"});
  EXPECT_EQ(console_kernel_args(Console::graphical), std::vector<std::string>{"console=tty0"});
  EXPECT_EQ(console_kernel_args(Console::both),
            (std::vector<std::string>{"console=tty0", "console=ttyS0,115200"}));
}

}  // namespace
}  // namespace keel::bootloader
