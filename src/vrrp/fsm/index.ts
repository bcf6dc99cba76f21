/** The pure VRRP state machine: transition function, timers, tie-break. */
export * from './machine';
export { skewTimeMs, masterDownIntervalMs } from './timing';
export { compareAddresses, addressBytes } from './address';
