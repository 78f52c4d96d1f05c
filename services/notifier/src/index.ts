// The public face of @switchboard/notifier, for tests and the local runner.
export { ConfigError, loadConfig, type NotifierConfig, SETTINGS } from './config.js';
export { type Notifier, type NotifierDeps, startNotifier } from './notifier.js';
export { retryGapMs, waitBehindMs } from './retry-schedule.js';
