#include <gtest/gtest.h>

#include "keel/kernel/config_check.hpp"

using namespace keel::kernel;

namespace {

constexpr const char* k_config = R"(#
# Automatically generated file; DO NOT EDIT.
# Linux/x86 6.1.192 Kernel Configuration
#
CONFIG_CC_VERSION_TEXT="gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0"
CONFIG_OVERLAY_FS=m
CONFIG_EXT4_FS=y
# CONFIG_SECURITY_SELINUX_BOOTPARAM is not set
CONFIG_LSM="landlock,lockdown,yama,apparmor,selinux"
)";

std::vector<Rule> rules_from(const std::string& text) {
  auto r = parse_rules(text, "rules.toml");
  EXPECT_TRUE(r.has_value()) << r.error().message();
  return r.value_or(std::vector<Rule>{});
}

const Finding& only(const Report& r) {
  EXPECT_EQ(r.findings.size(), 1u);
  return r.findings.front();
}

}  // namespace

TEST(KernelVersion, ParsesHeaderAndRelease) {
  KernelConfig c = parse_kernel_config(k_config);
  ASSERT_TRUE(c.version);
  EXPECT_EQ(c.version->str(), "6.1.192");
  EXPECT_EQ(parse_kernel_version("6.1.0-56-cloud-amd64")->str(), "6.1.0");
  EXPECT_EQ(parse_kernel_version("5.2")->str(), "5.2.0");
  EXPECT_FALSE(parse_kernel_version("six"));
  EXPECT_FALSE(parse_kernel_version("6"));
  EXPECT_LT(*parse_kernel_version("5.19"), *parse_kernel_version("6.1"));
}

TEST(KernelConfig, ParsesValuesAndNotSet) {
  KernelConfig c = parse_kernel_config(k_config);
  EXPECT_EQ(c.options.at("CONFIG_OVERLAY_FS"), "m");
  EXPECT_EQ(c.options.at("CONFIG_EXT4_FS"), "y");
  EXPECT_FALSE(c.options.contains("CONFIG_SECURITY_SELINUX_BOOTPARAM"));
  EXPECT_FALSE(parse_kernel_config("CONFIG_X=y\n").version);
}

TEST(KernelRules, DefaultRulesParse) {
  auto r = default_rules();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_GT(r->size(), 30u);
  EXPECT_TRUE(r->front().where.starts_with("kernel/config-rules.toml:"));
}

TEST(KernelRules, ErrorsNameFileAndLine) {
  auto r = parse_rules(
      "[[rule]]\noption = \"CONFIG_X\"\ngroup = \"containers\"\n"
      "reason = \"x\"\nrequired = true\nallowed = [\"q\"]\n",
      "rules.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("rules.toml:6:"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("\"q\""), std::string::npos);

  r = parse_rules("[[rule]]\noption = \"OVERLAY\"\n", "rules.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("rules.toml:2:"), std::string::npos) << r.error().message();

  r = parse_rules(
      "[[rule]]\noption = \"CONFIG_X\"\ngroup = \"containers\"\nreason = \"x\"\n"
      "required = true\nallowed = [\"y\"]\nmin_kernell = \"5.2\"\n",
      "rules.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("min_kernell"), std::string::npos) << r.error().message();

  r = parse_rules("[[rule]]\noption = \"CONFIG_X\"\ngroup = \"gpu\"\n", "rules.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("rules.toml:3:"), std::string::npos) << r.error().message();

  r = parse_rules("rule = 1\n", "rules.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("rules.toml:1:"), std::string::npos) << r.error().message();
}

TEST(KernelCheck, MissingRequiredNamesOptionReasonAndRule) {
  auto rules = rules_from(
      "\n[[rule]]\noption = \"CONFIG_VETH\"\ngroup = \"containers\"\n"
      "reason = \"veth pairs\"\nrequired = true\nallowed = [\"y\", \"m\"]\n");
  Report r = check_config(parse_kernel_config(k_config), rules);
  EXPECT_EQ(r.failures(), 1);
  EXPECT_EQ(only(r).message,
            "CONFIG_VETH is not set; containers need it (veth pairs); rule at rules.toml:2");
}

TEST(KernelCheck, BuiltinOnlyRejectsModule) {
  auto rules = rules_from(
      "[[rule]]\noption = \"CONFIG_OVERLAY_FS\"\ngroup = \"containers\"\n"
      "reason = \"overlay rootfs\"\nrequired = true\nallowed = [\"y\"]\n");
  Report r = check_config(parse_kernel_config(k_config), rules);
  EXPECT_EQ(only(r).outcome, Outcome::wrong_value);
  EXPECT_NE(only(r).message.find("CONFIG_OVERLAY_FS=m but must be built in (y)"), std::string::npos)
      << only(r).message;
  EXPECT_EQ(r.failures(), 1);
}

TEST(KernelCheck, ModuleOrBuiltinAccepted) {
  auto rules = rules_from(
      "[[rule]]\noption = \"CONFIG_OVERLAY_FS\"\ngroup = \"containers\"\nreason = \"o\"\n"
      "required = true\nallowed = [\"m\"]\n"
      "[[rule]]\noption = \"CONFIG_EXT4_FS\"\ngroup = \"boot\"\nreason = \"e\"\n"
      "required = true\nallowed = [\"y\", \"m\"]\n");
  Report r = check_config(parse_kernel_config(k_config), rules);
  EXPECT_EQ(r.failures(), 0);
  EXPECT_EQ(r.findings[0].outcome, Outcome::ok);
  EXPECT_EQ(r.findings[1].outcome, Outcome::ok);
}

TEST(KernelCheck, OptionalMissingIsAWarning) {
  auto rules = rules_from(
      "[[rule]]\noption = \"CONFIG_FUSE_FS\"\ngroup = \"extras\"\nreason = \"fuse\"\n"
      "required = false\nallowed = [\"y\", \"m\"]\n");
  Report r = check_config(parse_kernel_config(k_config), rules);
  EXPECT_EQ(r.failures(), 0);
  EXPECT_EQ(r.warnings(), 1);
}

TEST(KernelCheck, MinKernelGatesRule) {
  auto rules = rules_from(
      "[[rule]]\noption = \"CONFIG_NEW\"\ngroup = \"extras\"\nreason = \"new\"\n"
      "required = true\nallowed = [\"y\"]\nmin_kernel = \"6.6\"\n");
  Report old_kernel = check_config(parse_kernel_config(k_config), rules);
  EXPECT_EQ(only(old_kernel).outcome, Outcome::not_applicable);
  EXPECT_EQ(old_kernel.failures(), 0);

  std::string newer = "# Linux/x86 6.6.0 Kernel Configuration\n";
  Report new_kernel = check_config(parse_kernel_config(newer), rules);
  EXPECT_EQ(only(new_kernel).outcome, Outcome::missing);
  EXPECT_EQ(new_kernel.failures(), 1);

  // No header: the version is unknown, so every rule applies.
  Report unknown = check_config(parse_kernel_config("CONFIG_X=y\n"), rules);
  EXPECT_EQ(unknown.failures(), 1);
}
