#include "keel/init/start_order.hpp"

#include <gtest/gtest.h>

using namespace keel::init;
using keel::ContainerDef;

namespace {

ContainerDef def(std::string name, std::vector<std::string> after = {},
                 std::vector<std::string> required = {}) {
  ContainerDef d;
  d.name = name;
  d.source_path = "/etc/keel/containers/" + name + ".toml";
  d.after = std::move(after);
  d.required = std::move(required);
  return d;
}

bool mentions(const StartOrder& o, const std::string& text) {
  for (const auto& e : o.errors)
    if (e.message().find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(StartOrder, ChainAndJoin) {
  // app requires db and waits for net; db waits for net.
  auto o = resolve_start_order({def("app", {"net"}, {"db"}), def("db", {"net"}), def("net")});
  EXPECT_TRUE(o.errors.empty());
  EXPECT_EQ(o.waits_for[0], (std::vector<size_t>{1, 2}));
  EXPECT_EQ(o.required[0], std::vector<size_t>{1});
  EXPECT_EQ(o.waits_for[1], std::vector<size_t>{2});
  EXPECT_TRUE(o.waits_for[2].empty());
  EXPECT_EQ(o.unstartable, (std::vector<bool>{false, false, false}));
}

TEST(StartOrder, UnknownAfterIsOnlyAWarning) {
  auto o = resolve_start_order({def("app", {"ghost"})});
  EXPECT_TRUE(o.errors.empty());
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_NE(o.warnings[0].find("ghost"), std::string::npos);
  EXPECT_FALSE(o.unstartable[0]);
}

TEST(StartOrder, MissingRequirementPropagatesDownTheChain) {
  auto o = resolve_start_order({def("app", {}, {"db"}), def("db", {}, {"ghost"}), def("other")});
  EXPECT_EQ(o.unstartable, (std::vector<bool>{true, true, false}));
  EXPECT_TRUE(mentions(o,
                       "container db (/etc/keel/containers/db.toml): not started: it "
                       "requires 'ghost', which is not defined"));
  EXPECT_TRUE(mentions(o, "requires 'db', which cannot start either"));
}

TEST(StartOrder, CyclesAndTheirWaitersAreRejectedOthersStart) {
  auto o = resolve_start_order(
      {def("a", {"b"}), def("b", {}, {"a"}), def("c", {"a"}), def("d"), def("e", {"d"})});
  EXPECT_EQ(o.unstartable, (std::vector<bool>{true, true, true, false, false}));
  EXPECT_TRUE(mentions(o, "form a cycle (containers involved: a, b, c)"));
}
