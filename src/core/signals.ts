/**
 * keepalived's signal functions (keepalived --signum=SIGFUNC), so scripts can
 * write `kill -s $(keepalived-ts --signum=DATA) $(cat /run/keepalived.pid)`.
 * Real-time signal numbers are glibc's on Linux (SIGRTMIN 34, SIGRTMAX 64),
 * as keepalived 2.2.7 prints them.
 */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

export const SIGNAL_FUNCTIONS: Readonly<Record<string, number>> = {
  STOP: 15, // SIGTERM
  RELOAD: 1, // SIGHUP
  DATA: 10, // SIGUSR1
  STATS: 12, // SIGUSR2
  STATS_CLEAR: SIGRTMAX - 1,
  JSON: SIGRTMIN + 2,
};
