/* Where the data mqttspec ships (scenarios/, spec/) is at run time. */
#ifndef MQTTSPEC_CLI_DATA_DIR_H
#define MQTTSPEC_CLI_DATA_DIR_H

#include <stddef.h>

/*
 * The folder `what` ("scenarios", "spec") of the installed data, found from
 * the binary's own location: BINDIR/../share/mqttspec/what for an installed
 * mqttspec, wherever the prefix was moved.  A binary that runs from the build
 * tree it was built in uses the source tree instead.  When neither exists the
 * installed path is returned anyway, so the error names where it looked.
 * Returns buf.
 */
const char *data_dir_find(const char *what, char *buf, size_t cap);

#endif
