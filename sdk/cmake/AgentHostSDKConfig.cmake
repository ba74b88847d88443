# find_package(AgentHostSDK): the AgentHost::sdk target and agenthost_add_plugin().
include(${CMAKE_CURRENT_LIST_DIR}/AgentHostSDKTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/AgentHostPlugin.cmake)
