// The kit's pure parts: path templates, method routing (404 / 405 / HEAD), the wording of
// its problems, RFC 9457 documents and media types. No sockets.
#include <gtest/gtest.h>

#include "choreo/http/exchange.hpp"
#include "choreo/http/problem.hpp"
#include "choreo/http/router.hpp"

namespace choreo::http {
namespace {

using nlohmann::json;

// A handler that only says which one it is.
struct Tag {
  int id;
  void operator()(Exchange&) const {}
};

int TagOf(const RouteMatch& match) {
  if (match.handler == nullptr) return -1;
  const Tag* tag = match.handler->target<Tag>();
  return tag == nullptr ? -2 : tag->id;
}

TEST(MatchPath, LiteralAndParameterSegments) {
  PathParams params;
  EXPECT_TRUE(MatchPath("/healthz", "/healthz"));
  EXPECT_TRUE(MatchPath("/orders/{id}", "/orders/5f0c-8a57", &params));
  EXPECT_EQ(params, (PathParams{{"id", "5f0c-8a57"}}));
  EXPECT_TRUE(MatchPath("/a/{x}/b/{y}", "/a/1/b/2", &params));
  EXPECT_EQ(params, (PathParams{{"x", "1"}, {"y", "2"}}));
  EXPECT_TRUE(MatchPath("/", "/"));
}

TEST(MatchPath, RefusesNearMisses) {
  for (std::string_view path : {"", "/", "/orders", "/orders/", "/orders/a/b", "/ORDERS/a", "orders/a", "//a"}) {
    EXPECT_FALSE(MatchPath("/orders/{id}", path)) << path;
  }
  for (std::string_view path : {"", "/", "/healthz/", "/healthz/x", "/Healthz", "/healthzz"}) {
    EXPECT_FALSE(MatchPath("/healthz", path)) << path;
  }
  PathParams untouched{{"keep", "me"}};
  EXPECT_FALSE(MatchPath("/a/{x}/b", "/a/1/c", &untouched));
  EXPECT_EQ(untouched, (PathParams{{"keep", "me"}}));
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.Add("POST", "/orders", Tag{1});
    router_.Add("GET", "/orders/{id}", Tag{2});
    router_.Add("GET", "/orders/stats", Tag{3});
    router_.Add("GET", "/v1/charges", Tag{4}).Add("POST", "/v1/charges", Tag{5});
  }
  Router router_;
};

TEST_F(RouterTest, FindsTheHandlerAndItsParameters) {
  RouteMatch match = router_.Resolve("GET", "/orders/o-1");
  EXPECT_EQ(match.resolution, Resolution::kFound);
  EXPECT_EQ(TagOf(match), 2);
  EXPECT_EQ(match.path_template, "/orders/{id}");
  EXPECT_EQ(match.params, (PathParams{{"id", "o-1"}}));
  EXPECT_EQ(TagOf(router_.Resolve("POST", "/orders")), 1);
  EXPECT_EQ(TagOf(router_.Resolve("GET", "/v1/charges")), 4);
  EXPECT_EQ(TagOf(router_.Resolve("POST", "/v1/charges")), 5);
}

TEST_F(RouterTest, LiteralRouteBeatsParameterRouteWhateverTheOrder) {
  RouteMatch match = router_.Resolve("GET", "/orders/stats");
  EXPECT_EQ(TagOf(match), 3);
  EXPECT_TRUE(match.params.empty());
}

TEST_F(RouterTest, UnknownPathIsNotFound) {
  for (std::string_view path : {"/", "/nope", "/orders/", "/orders/a/b", "/ORDERS"}) {
    RouteMatch match = router_.Resolve("GET", path);
    EXPECT_EQ(match.resolution, Resolution::kNotFound) << path;
    EXPECT_EQ(match.handler, nullptr);
    EXPECT_TRUE(match.path_template.empty());
  }
}

TEST_F(RouterTest, OtherMethodIsNotAllowedWithTheRoutesMethods) {
  RouteMatch match = router_.Resolve("DELETE", "/v1/charges");
  EXPECT_EQ(match.resolution, Resolution::kMethodNotAllowed);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "GET, POST");
  EXPECT_EQ(match.path_template, "/v1/charges");
  EXPECT_EQ(router_.Resolve("GET", "/orders").allow, "POST");
  // HEAD and OPTIONS are methods like any other unless asked for.
  EXPECT_EQ(router_.Resolve("HEAD", "/orders/o-1").resolution, Resolution::kMethodNotAllowed);
  EXPECT_EQ(router_.Resolve("OPTIONS", "/orders/o-1").resolution, Resolution::kMethodNotAllowed);
  EXPECT_EQ(router_.Resolve("get", "/orders/o-1").resolution, Resolution::kMethodNotAllowed);
}

TEST(Router, HeadForGetAnswersHeadWithTheGetHandler) {
  Router router(RouterOptions{.head_for_get = true});
  router.Add("GET", "/metrics", Tag{7});
  RouteMatch head = router.Resolve("HEAD", "/metrics");
  EXPECT_EQ(head.resolution, Resolution::kFound);
  EXPECT_EQ(TagOf(head), 7);
  RouteMatch post = router.Resolve("POST", "/metrics");
  EXPECT_EQ(post.resolution, Resolution::kMethodNotAllowed);
  EXPECT_EQ(post.allow, "GET, HEAD");
  EXPECT_EQ(router.Resolve("OPTIONS", "/metrics").resolution, Resolution::kMethodNotAllowed);
}

TEST(Router, RefusesBadRoutes) {
  Router router;
  EXPECT_THROW(router.Add("GET", "orders", Tag{1}), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "", Tag{1}), std::invalid_argument);
  EXPECT_THROW(router.Add("", "/orders", Tag{1}), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/orders/{}", Tag{1}), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/orders/{id", Tag{1}), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/a/{id}/{id}", Tag{1}), std::invalid_argument);
  EXPECT_THROW(router.Add("GET", "/orders", Handler{}), std::invalid_argument);
  router.Add("GET", "/orders", Tag{1});
  EXPECT_THROW(router.Add("GET", "/orders", Tag{2}), std::invalid_argument);
}

TEST(Router, NotFoundAndMethodNotAllowedProblems) {
  Router plain;
  plain.Add("GET", "/metrics", Tag{1});
  Problem missing = plain.NotFound("GET", "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.title, "Not Found");
  EXPECT_EQ(missing.detail, "no route for GET /nope");
  EXPECT_EQ(ToJson(missing)["type"], "about:blank");

  Router hinted(RouterOptions{.not_found_hint = "The API is described at /openapi.yaml."});
  EXPECT_EQ(hinted.NotFound("GET", "/x").detail, "no route for GET /x; The API is described at /openapi.yaml.");

  Problem wrong = plain.MethodNotAllowed("POST", plain.Resolve("POST", "/metrics"));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.title, "Method Not Allowed");
  EXPECT_EQ(wrong.detail, "POST is not supported on /metrics; use GET");

  // Client text is cut short.
  Problem long_one = plain.NotFound(std::string(100, 'M'), "/" + std::string(1000, 'p'));
  EXPECT_LT(long_one.detail.size(), 260u);
}

TEST(Problem, RendersRfc9457Members) {
  const Problem problem{413, ProblemType("urn:choreo:problem:", "body-too-large"), "Content Too Large", "too big",
                        "/orders", {{"max_bytes", 100}}};
  const json body = ToJson(problem);
  EXPECT_EQ(body, json({{"type", "urn:choreo:problem:body-too-large"},
                        {"title", "Content Too Large"},
                        {"status", 413},
                        {"detail", "too big"},
                        {"instance", "/orders"},
                        {"max_bytes", 100}}));
}

TEST(Problem, AboutBlankWithoutPrefixOrSlugAndNoEmptyInstance) {
  EXPECT_EQ(ProblemType("", "body-too-large"), "about:blank");
  EXPECT_EQ(ProblemType("urn:choreo:provider:", ""), "about:blank");
  EXPECT_EQ(ProblemType("urn:choreo:provider:", "x"), "urn:choreo:provider:x");
  const json body = ToJson(Problem{404, "", "Not Found", "no route"});
  EXPECT_EQ(body["type"], "about:blank");
  EXPECT_FALSE(body.contains("instance"));
}

TEST(Problem, ExtensionsCannotReplaceStandardMembers) {
  const json body = ToJson(Problem{409, "urn:t", "T", "d", "", {{"status", 1}, {"type", "x"}, {"instance", "/y"}}});
  EXPECT_EQ(body["status"], 409);
  EXPECT_EQ(body["type"], "urn:t");
  EXPECT_FALSE(body.contains("instance"));
}

TEST(Problem, InvalidUtf8IsReplacedNotThrown) {
  std::string text;
  EXPECT_NO_THROW(text = Dump(Problem{400, "", "Bad Request", "bad byte \xff here"}));
  EXPECT_NE(text.find("bad byte"), std::string::npos);
}

TEST(IsMediaType, TypeSubtypeAndCharset) {
  const std::pair<std::string_view, bool> cases[] = {
      {"application/json", true},
      {"Application/JSON; charset=UTF-8", true},
      {"application/json; charset=latin1", false},
      {"text/plain", false},
      {"application/jsonx", false},
      {"", false},
      {";;==", false},
  };
  for (const auto& [content_type, expected] : cases) {
    EXPECT_EQ(IsMediaType(content_type, "application/json"), expected) << content_type;
  }
}

TEST(Truncate, BoundsClientText) {
  EXPECT_EQ(Truncate("short"), "short");
  EXPECT_EQ(Truncate("abcdef", 3), "abc...");
}

}  // namespace
}  // namespace choreo::http
