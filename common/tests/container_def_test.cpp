#include "keel/common/container_def.hpp"
#include "keel/common/container_def_toml.hpp"

#include <gtest/gtest.h>

using namespace keel;

TEST(ContainerDef, ParsesAllFields) {
  auto r = parse_container_def_text(R"(
image = "busybox"
command = ["/bin/sh", "-c", "echo hi"]
env = ["A=1"]
restart = "always"
[resources]
memory_max = "32M"
pids_max = 16
)",
                                    "/usr/lib/keel/containers/hello.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->name, "hello");
  EXPECT_EQ(r->hostname, "hello");
  EXPECT_EQ(r->image, "busybox");
  EXPECT_EQ(r->command.size(), 3u);
  EXPECT_EQ(r->restart, RestartPolicy::always);
  EXPECT_EQ(r->resources.memory_max, 32ull << 20);
  EXPECT_EQ(r->resources.pids_max, 16u);
}

TEST(ContainerDef, DefaultsToOnFailure) {
  auto r = parse_container_def_text("image = \"b\"\n", "a.toml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->restart, RestartPolicy::on_failure);
}

TEST(ContainerDef, MissingImageIsAnError) {
  auto r = parse_container_def_text("command = [\"x\"]\n", "a.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("missing required key 'image'"), std::string::npos);
}

TEST(ContainerDef, EnabledFalseNeedsNoImage) {
  auto r = parse_container_def_text("enabled = false\n", "/etc/keel/containers/hello.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->enabled);
  EXPECT_EQ(r->name, "hello");
  auto on = parse_container_def_text("image = \"b\"\n", "a.toml");
  ASSERT_TRUE(on);
  EXPECT_TRUE(on->enabled);
  // Still checked: a typo in a disabled definition is reported, not ignored.
  auto bad = parse_container_def_text("enabled = \"no\"\n", "a.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("a.toml:1:"), std::string::npos) << bad.error().message();
  // enabled = true still needs an image.
  EXPECT_FALSE(parse_container_def_text("enabled = true\n", "a.toml"));
}

TEST(ContainerDef, TableOfALargerDocumentPointsIntoIt) {
  auto doc = TomlDoc::parse(
      "hostname = \"h\"\n[containers.add.web]\nimage = \"busybox\"\n"
      "restart = \"sometimes\"\n",
      "/run/user-data");
  ASSERT_TRUE(doc);
  const toml::table* web = doc->root().at_path("containers.add.web").as_table();
  ASSERT_NE(web, nullptr);
  auto r = parse_container_def_table(*doc, *web, "web", "[containers.add.web]");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("/run/user-data:4:"), std::string::npos)
      << r.error().message();
  auto typo = TomlDoc::parse("[c]\nimage = \"b\"\nimagee = 1\n", "/run/user-data");
  ASSERT_TRUE(typo);
  auto t = parse_container_def_table(*typo, *typo->root()["c"].as_table(), "c", "[c]");
  ASSERT_FALSE(t);
  EXPECT_NE(t.error().message().find("/run/user-data:3:10: unknown key 'imagee' in [c]"),
            std::string::npos)
      << t.error().message();
}

TEST(ContainerDef, BadRestartPolicyNamesLine) {
  auto r = parse_container_def_text("image = \"b\"\nrestart = \"sometimes\"\n", "a.toml");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("a.toml:2:"), std::string::npos) << r.error().message();
}

TEST(ContainerDef, BadEnvAndBadName) {
  EXPECT_FALSE(parse_container_def_text("image = \"b\"\nenv = [\"NOEQUALS\"]\n", "a.toml"));
  EXPECT_FALSE(parse_container_def_text("image = \"b\"\n", "Bad_Name.toml"));
}

TEST(ContainerDef, NameValidation) {
  EXPECT_TRUE(is_valid_container_name("web-1"));
  EXPECT_FALSE(is_valid_container_name(""));
  EXPECT_FALSE(is_valid_container_name("-x"));
  EXPECT_FALSE(is_valid_container_name("../etc"));
}

TEST(ContainerDef, OrderingStopAndRestartMax) {
  auto r = parse_container_def_text(R"(
image = "b"
restart = "on-failure"
restart_max = 3
after = ["net"]
requires = ["db", "cache"]
stop_signal = "SIGINT"
stop_grace = "1500ms"
ready = "exited"
)",
                                    "web.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->restart_max, 3u);
  EXPECT_EQ(r->after, std::vector<std::string>{"net"});
  EXPECT_EQ(r->required, (std::vector<std::string>{"db", "cache"}));
  EXPECT_EQ(r->stop_signal, 2);
  EXPECT_EQ(r->stop_grace, std::chrono::milliseconds(1500));
  EXPECT_EQ(r->ready, ReadyWhen::exited);
}

TEST(ContainerDef, StopDefaults) {
  auto r = parse_container_def_text("image = \"b\"\n", "a.toml");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->stop_signal, 15);
  EXPECT_EQ(r->stop_grace, std::chrono::seconds(10));
  EXPECT_FALSE(r->restart_max);
  EXPECT_TRUE(r->after.empty());
}

TEST(ContainerDef, BadOrderingAndStopKeysNameTheLine) {
  auto expect_error = [](const std::string& text, const std::string& what) {
    auto r = parse_container_def_text(text, "web.toml");
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  };
  expect_error("image = \"b\"\nrequires = [\"web\"]\n", "web.toml:2:");
  expect_error("image = \"b\"\nafter = [\"Bad_Name\"]\n", "is not a container name");
  expect_error("image = \"b\"\nstop_signal = \"SIGNOPE\"\n", "web.toml:2:15: stop_signal");
  expect_error("image = \"b\"\nstop_grace = \"ten seconds\"\n", "must be a duration");
  expect_error("image = \"b\"\nrestart = \"always\"\nrestart_max = 2\n",
               "restart_max only applies");
  expect_error("image = \"b\"\nrestart_max = -1\n", "between 0 and");
  expect_error("image = \"b\"\nready = \"soon\"\n", "web.toml:2:9: ready = \"soon\"");
  expect_error("image = \"b\"\nrestart = \"always\"\nready = \"exited\"\n",
               "never happens with restart = \"always\"");
}

TEST(ContainerDef, SystemCapsUserMountsVolumes) {
  auto r = parse_container_def_text(R"(
image = "b"
system = true
cap_add = ["NET_ADMIN", "CAP_SYS_TIME"]
cap_drop = ["MKNOD"]
user = "1000:100"

[[mounts]]
source = "/run/keel"
target = "/run/keel"
readonly = true

[[volumes]]
name = "data"
target = "/var/lib/app"
)",
                                    "admin.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->system);
  EXPECT_EQ(r->cap_add, (std::vector<std::string>{"CAP_NET_ADMIN", "CAP_SYS_TIME"}));
  EXPECT_EQ(r->cap_drop, std::vector<std::string>{"CAP_MKNOD"});
  EXPECT_EQ(r->user, "1000:100");
  ASSERT_EQ(r->mounts.size(), 1u);
  EXPECT_EQ(r->mounts[0].source, "/run/keel");
  EXPECT_TRUE(r->mounts[0].readonly);
  ASSERT_EQ(r->volumes.size(), 1u);
  EXPECT_EQ(r->volumes[0].name, "data");
  EXPECT_EQ(r->volumes[0].target, "/var/lib/app");
}

TEST(ContainerDef, BadMountsVolumesCapsAndUsers) {
  auto expect_error = [](const std::string& text, const std::string& what) {
    auto r = parse_container_def_text("image = \"b\"\n" + text, "app.toml");
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  };
  expect_error("[[mounts]]\nsource = \"relative\"\ntarget = \"/x\"\n",
               "app.toml:3:10: [[mounts]] source: 'relative' must be an absolute path");
  expect_error("[[mounts]]\nsource = \"/a/../etc\"\ntarget = \"/x\"\n", "without '..'");
  expect_error("[[mounts]]\nsource = \"/a\"\n", "missing required key 'target'");
  expect_error("[[mounts]]\nsource = \"/a\"\ntarget = \"/b\"\nrw = true\n", "unknown key 'rw'");
  expect_error("mounts = [\"/a:/b\"]\n", "must be an array of tables");
  expect_error("[[volumes]]\nname = \"Data\"\ntarget = \"/d\"\n", "name must be 1-63");
  expect_error("cap_add = [\"net admin\"]\n", "is not a capability name");
  expect_error("user = \"nobody\"\n", "must be numeric");
  expect_error("user = \"1:2:3\"\n", "must be numeric");
  expect_error("system = \"yes\"\n", "'system' must be true or false");
}

TEST(ContainerDef, NetworkMode) {
  auto net = [](const std::string& text) {
    auto r = parse_container_def_text("image = \"b\"\n" + text, "app.toml");
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->network : NetworkMode::none;
  };
  EXPECT_EQ(net(""), NetworkMode::none);
  EXPECT_EQ(net("network = \"host\"\n"), NetworkMode::host);
  EXPECT_EQ(net("system = true\n"), NetworkMode::host);
  auto bad = parse_container_def_text("image = \"b\"\nnetwork = \"bridge\"\n", "app.toml");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("app.toml:2:11: network = \"bridge\" is not known"),
            std::string::npos)
      << bad.error().message();
  auto sys =
      parse_container_def_text("image = \"b\"\nsystem = true\nnetwork = \"none\"\n", "app.toml");
  ASSERT_FALSE(sys);
  EXPECT_NE(sys.error().message().find("always shares the host's network"), std::string::npos);
}

TEST(ContainerDef, ImageMustBeAPlainName) {
  for (const char* bad : {"\"\"", "\"../etc\"", "\"a/b\"", "\".hidden\""}) {
    auto r = parse_container_def_text(std::string("image = ") + bad + "\n", "a.toml");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find("a.toml:1:9: image must name an image"), std::string::npos)
        << r.error().message();
  }
}

TEST(ContainerDef, HealthChecks) {
  auto tcp = parse_container_def_text(
      "image = \"b\"\nready = \"healthy\"\n[health]\ntcp = 8080\ninterval = \"1s\"\n", "a.toml");
  ASSERT_TRUE(tcp) << tcp.error().message();
  EXPECT_EQ(tcp->ready, ReadyWhen::healthy);
  EXPECT_EQ(tcp->health.kind, HealthCheck::Kind::tcp);
  EXPECT_EQ(tcp->health.host, "127.0.0.1");
  EXPECT_EQ(tcp->health.port, 8080);
  EXPECT_EQ(tcp->health.interval, std::chrono::seconds(1));
  EXPECT_EQ(tcp->health.retries, 3u);
  auto http = parse_container_def_text(
      "image = \"b\"\n[health]\nhttp = \"http://10.0.0.2:81/healthz?x=1\"\nretries = 2\n",
      "a.toml");
  ASSERT_TRUE(http) << http.error().message();
  EXPECT_EQ(http->health.kind, HealthCheck::Kind::http);
  EXPECT_EQ(http->health.host, "10.0.0.2");
  EXPECT_EQ(http->health.port, 81);
  EXPECT_EQ(http->health.path, "/healthz?x=1");
  EXPECT_EQ(http->health.retries, 2u);
  auto exec = parse_container_def_text(
      "image = \"b\"\n[health]\nexec = [\"pg_isready\", \"-q\"]\ntimeout = \"3s\"\n", "a.toml");
  ASSERT_TRUE(exec) << exec.error().message();
  EXPECT_EQ(exec->health.kind, HealthCheck::Kind::exec);
  EXPECT_EQ(exec->health.command, (std::vector<std::string>{"pg_isready", "-q"}));
  EXPECT_EQ(exec->health.timeout, std::chrono::seconds(3));
  EXPECT_FALSE(exec->health.start_interval);
  auto fast = parse_container_def_text(
      "image = \"b\"\n[health]\ntcp = 1\nstart_period = \"30s\"\nstart_interval = \"50ms\"\n",
      "a.toml");
  ASSERT_TRUE(fast) << fast.error().message();
  EXPECT_EQ(fast->health.start_interval, std::chrono::milliseconds(50));
}

TEST(ContainerDef, BadHealthChecksNameTheLine) {
  auto expect_error = [](const std::string& text, const std::string& what) {
    auto r = parse_container_def_text("image = \"b\"\n" + text, "a.toml");
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message().find(what), std::string::npos) << r.error().message();
  };
  expect_error("[health]\ntcp = 70000\n", "a.toml:3:7: tcp must be a port");
  expect_error("[health]\ntcp = \"localhost:80\"\n", "tcp must be a port");
  expect_error("[health]\nhttp = \"https://127.0.0.1:443/\"\n", "http must be a URL");
  expect_error("[health]\nhttp = \"http://127.0.0.1/\"\n", "http must be a URL");
  expect_error("[health]\nhttp = \"http:s\"\n", "http must be a URL");  // found by scripts/fuzz
  expect_error("[health]\nhttp = \"\"\n", "http must be a URL");
  expect_error("[health]\nhttp = 80\n", "http must be a URL");
  expect_error("[health]\ntcp = 1\nhttp = \"http://127.0.0.1:1/\"\n", "exactly one probe");
  expect_error("[health]\ninterval = \"1s\"\n", "exactly one probe");
  expect_error("[health]\ntcp = 1\nexec = [\"true\"]\n", "exactly one probe");
  expect_error("[health]\nexec = []\n", "a.toml:3:8: exec must name a command");
  expect_error("[health]\nexec = \"true\"\n", "exec");
  expect_error("[health]\ntcp = 1\ntimeout = \"5s\"\ninterval = \"1s\"\n", "timeout <=");
  expect_error("ready = \"healthy\"\n", "needs a [health] check");
  expect_error("[health]\ntcp = 1\nstart_period = \"5s\"\nstart_interval = \"6s\"\n",
               "a.toml:5:18: start_interval must be between 10ms and interval");
  expect_error("[health]\ntcp = 1\nstart_interval = \"100ms\"\n",
               "start_interval applies during start_period");
}

TEST(ContainerDef, CpuAndIoResources) {
  auto r = parse_container_def_text(R"(
image = "busybox"
[resources]
cpu_weight = 200
cpu_max = "50000 200000"
io_weight = 300
)",
                                    "a.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->resources.cpu_weight, 200u);
  EXPECT_EQ(r->resources.cpu_quota, 50000);
  EXPECT_EQ(r->resources.cpu_period, 200000u);
  EXPECT_EQ(r->resources.io_weight, 300u);
  r = parse_container_def_text("image = \"b\"\n[resources]\ncpu_max = \"max\"\n", "a.toml");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->resources.cpu_quota, -1);
  EXPECT_FALSE(r->resources.cpu_period);
}

TEST(ContainerDef, BadCpuAndIoResourcesNameTheKey) {
  for (const char* bad : {"cpu_max = \"fast\"", "cpu_max = \"0 100000\"", "cpu_max = \"50000 x\"",
                          "cpu_weight = 0", "io_weight = 10001"}) {
    auto r = parse_container_def_text(std::string("image = \"b\"\n[resources]\n") + bad + "\n",
                                      "a.toml");
    ASSERT_FALSE(r) << bad;
    std::string key = std::string(bad).substr(0, std::string(bad).find(' '));
    EXPECT_NE(r.error().message().find(key + " must be"), std::string::npos) << r.error().message();
    EXPECT_NE(r.error().message().find("a.toml"), std::string::npos) << r.error().message();
  }
}
