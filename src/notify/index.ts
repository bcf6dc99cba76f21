/** Notifications: keepalived-style notify scripts, FIFOs and SMTP alerts. */
export * from './argv';
export * from './process';
export * from './queue';
export * from './security';
export * from './fifo';
export * from './mail';
export * from './notifier';
