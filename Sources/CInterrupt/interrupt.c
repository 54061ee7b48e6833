#include "CInterrupt.h"
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t received = 0;

static void on_signal(int sig) {
    if (received) {
        // Second signal: the default action (termination) right away.
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    received = sig;
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

int ae_interrupt_signal(void) { return received; }
