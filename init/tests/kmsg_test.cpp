#include "keel/init/kmsg.hpp"

#include <gtest/gtest.h>

namespace keel::init {
namespace {

TEST(AvcDenial, TakesTheDenialOutOfAKmsgRecord) {
  auto d = avc_denial(
      "5,412,5639741,-;audit: type=1400 audit(1795404620.1:9): avc:  denied  { search } for  "
      "pid=131 comm=\"cat\" name=\"data\" scontext=system_u:system_r:container_t:s0:c52,c511 "
      "tcontext=system_u:object_r:container_file_t:s0:c440,c755 tclass=dir permissive=0\n"
      " SUBSYSTEM=foo\n");
  ASSERT_TRUE(d);
  EXPECT_EQ(*d,
            "avc:  denied  { search } for  pid=131 comm=\"cat\" name=\"data\" "
            "scontext=system_u:system_r:container_t:s0:c52,c511 "
            "tcontext=system_u:object_r:container_file_t:s0:c440,c755 tclass=dir permissive=0");
}

TEST(AvcDenial, IgnoresEverythingElse) {
  EXPECT_FALSE(avc_denial("6,1,100,-;SELinux:  Initializing.\n"));
  EXPECT_FALSE(avc_denial("5,2,200,-;audit: type=1403 audit(1.2:2): lsm=selinux res=1\n"));
  EXPECT_FALSE(avc_denial("no header avc:  denied  { read }"));
  // "granted" records (auditallow) are not denials.
  EXPECT_FALSE(avc_denial("5,3,300,-;audit: type=1400 avc:  granted  { setenforce }\n"));
}

}  // namespace
}  // namespace keel::init
