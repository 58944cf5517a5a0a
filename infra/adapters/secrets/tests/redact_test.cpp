#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "choreo/secrets/redact.hpp"

namespace choreo::secrets {
namespace {

using Redactions = std::vector<std::pair<std::string_view, std::string_view>>;

// Texts that hold a password and what RedactUrl makes of them, by where the password is.
const std::map<std::string_view, Redactions> kRedactions = {
    {"user info",
     {{"amqp://guest:guest@127.0.0.1:5672/", "amqp://guest:***@127.0.0.1:5672/"},
      {"postgresql://u:pw@h:1/db?x=1", "postgresql://u:***@h:1/db?x=1"},
      {"postgres://app:p%40ss@[::1]:5432/db", "postgres://app:***@[::1]:5432/db"},
      {"amqp://:only-a-password@h/", "amqp://:***@h/"}}},
    {"unescaped user info",
     {{"postgresql://u:p@a@h/db", "postgresql://u:***@h/db"},
      {"amqp://app:s3cr/et@broker:5672/vh", "amqp://app:***@broker:5672/vh"},
      {"amqp://app:a?b#c@broker/", "amqp://app:***@broker/"},
      {"amqp://app:a:b@broker/", "amqp://app:***@broker/"},
      // A user name that is an e-mail address.
      {"amqp://me@example.org:pw@broker/", "amqp://me@example.org:***@broker/"}}},
    {"query",
     {{"postgresql://u@h/db?password=hunter2", "postgresql://u@h/db?password=***"},
      {"postgresql://u@h/db?sslmode=require&Password=hunter2&connect_timeout=5",
       "postgresql://u@h/db?sslmode=require&Password=***&connect_timeout=5"},
      {"postgresql://h/db?PWD=a&pass=b&passwd=c&sslpassword=d#frag",
       "postgresql://h/db?PWD=***&pass=***&passwd=***&sslpassword=***#frag"},
      {"postgresql://u:pw@h/db?password=x", "postgresql://u:***@h/db?password=***"}}},
    {"keywords",
     {{"host=db password=secret user=u", "host=db password=*** user=u"},
      {"password=secret", "password=***"},
      {"host=db PASSWORD = secret dbname=x", "host=db PASSWORD = *** dbname=x"},
      {"host=db password='a b\\'c' user=u", "host=db password='***' user=u"},
      {"host=db password='unterminated user=u", "host=db password='***'"},
      // An '&' is part of a keyword value, not a separator.
      {"host=db password=a&b user=u", "host=db password=*** user=u"}}},
};

void ExpectRedacted(std::string_view where) {
  for (const auto& [text, redacted] : kRedactions.at(where)) EXPECT_EQ(RedactUrl(text), redacted) << text;
}

TEST(RedactUrl, UserInfoKeepsTheUserAndHidesThePassword) { ExpectRedacted("user info"); }
TEST(RedactUrl, UnescapedSpecialCharactersInThePasswordAreHiddenToo) { ExpectRedacted("unescaped user info"); }
TEST(RedactUrl, PasswordQueryParametersInAnyCase) { ExpectRedacted("query"); }
TEST(RedactUrl, PostgresKeywordStrings) { ExpectRedacted("keywords"); }

TEST(RedactUrl, TextWithoutPasswordIsUnchanged) {
  for (std::string_view text :
       {"amqp://guest@127.0.0.1:5672", "amqp://127.0.0.1:5672/vhost", "amqp://[::1]:5672/", "sqlite:choreo.db",
        "sqlite:///var/lib/choreo/order.db", "sqlite::memory:", "postgresql://u@h:5432/db?sslmode=disable",
        "host=db user=u passfile=/home/u/.pgpass", "http://127.0.0.1:8090", "infra/catalog.json", "not:a@url",
        "password", "mypassword=x", "/tmp/password=x/db", "", "://", "@", "a://@", "password=", "host=x password= "}) {
    EXPECT_EQ(RedactUrl(text), text) << text;
  }
}

TEST(RedactUrl, RedactingTwiceChangesNothing) {
  for (std::string_view text : {"amqp://guest:guest@h/", "postgresql://h/db?password=x&a=b", "host=h password='x y'"}) {
    const std::string once = RedactUrl(text);
    EXPECT_EQ(RedactUrl(once), once) << text;
  }
}

TEST(RedactUrl, AmbiguousInputIsHiddenTooMuchNeverTooLittle) {
  // An '@' in the query of a URL without a password: it might end the user info, so the
  // text up to it is hidden.
  EXPECT_EQ(RedactUrl("postgresql://h:5432/db?application_name=a@b"), "postgresql://h:***@b");
}

TEST(RedactUrl, MalformedInputNeverThrows) {
  const std::string kinds[] = {"amqp://", "u:p@", "?password", "&password=", "'", "\\", ":", "=", " ", "%", "@", "/"};
  // Every pair and triple of fragments: truncated schemes, dangling '@', unterminated quotes.
  for (const auto& a : kinds) {
    for (const auto& b : kinds) {
      for (const auto& c : kinds) {
        const std::string text = a + b + c;
        EXPECT_NO_THROW(RedactUrl(text)) << text;
      }
    }
  }
  EXPECT_EQ(RedactUrl(std::string_view("amqp://u:\0p@h", 13)), "amqp://u:***@h");
}

}  // namespace
}  // namespace choreo::secrets
