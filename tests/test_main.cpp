// The one translation unit of each test executable that defines Boost.Test's main.
#define BOOST_TEST_MODULE agenthost
#include <boost/test/unit_test.hpp>
