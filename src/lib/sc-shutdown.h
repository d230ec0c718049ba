/* Graceful shutdown for the daemons: SIGTERM and SIGINT set a flag and wake
 * the main thread through a pipe (the only async-signal-safe way to wake it),
 * and SIGPIPE is ignored (a closed connection is an error, not a death). */
#ifndef SC_SHUTDOWN_H
#define SC_SHUTDOWN_H

#include <stdatomic.h>

#include "lib/sc-error.h"

int sc_shutdown_install(sc_error_t *err);
/* Blocks until SIGTERM or SIGINT arrived. */
void sc_shutdown_wait(void);
/* The flag, for loops that must stop early (leader election). */
const atomic_bool *sc_shutdown_flag(void);

#endif
