/* The interrupt flag: see interrupt.h. */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "interrupt.h"

/* Lock-free, hence async-signal-safe to store into; 0 until a signal arrives. */
static atomic_int caught;

static void on_signal(int sig)
{
    atomic_store(&caught, sig);
}

void cli_interrupt_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking wait returns (EINTR) and notices.  SA_RESETHAND: a second signal kills. */
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

bool cli_interrupted(void)
{
    return atomic_load(&caught) != 0;
}

int cli_interrupt_status(void)
{
    int sig = atomic_load(&caught);
    return sig ? 128 + sig : 0;
}
