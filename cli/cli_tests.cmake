# The tests of the mqttspec command live with the other tests.
include("${PROJECT_SOURCE_DIR}/tests/cli/cli_tests.cmake")
