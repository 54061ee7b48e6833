#ifndef CINTERRUPT_H
#define CINTERRUPT_H

/// Installs handlers for SIGINT and SIGTERM: the first signal is recorded (read it with
/// ae_interrupt_signal), a second one ends the process at once with the default action.
/// A plain async-signal-safe C handler, so the second signal works even when every
/// thread (and every dispatch queue) is busy.
void ae_interrupt_install(void);

/// The first signal received since ae_interrupt_install, or 0.
int ae_interrupt_signal(void);

#endif
