#include "CInterrupt.h"
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

// Atomic, not just volatile: the signal may land on any thread (a worker's or
// OpenBLAS's) while another thread reads the flag. Lock-free atomics are
// async-signal-safe.
static atomic_int received = 0;

static void on_signal(int sig) {
    int previous = atomic_exchange(&received, sig);
    if (previous) {
        // Second signal: the default action (termination) right away. Keep the first
        // signal recorded.
        atomic_store(&received, previous);
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

void ae_interrupt_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

int ae_interrupt_signal(void) { return atomic_load(&received); }
