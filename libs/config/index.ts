export { loadConfig, redactConfig, ConfigError, type Config, type MediaPlaneConfig } from './load-config.js';
export { CONFIG_KEYS, type KeySpec } from './config-keys.js';
export { recordLimits, inRange, STANDARD_LIMITS, RELAXED_LIMITS, type RecordLimits, type Range } from './limits.js';
