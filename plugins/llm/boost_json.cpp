// boost_json.cpp: Boost.JSON compiled into the llm plugin, header-only, in this
// one translation unit, so that the plugin links nothing from Boost or the host.
#include <boost/json/src.hpp>
