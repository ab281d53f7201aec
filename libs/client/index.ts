// The typed client of the liverecord gRPC API, shared by the CLI, the console and users' programs.
export { createLiveRecordClient, DEFAULT_TIMEOUT_MS, type LiveRecordApi, type LiveRecordCallOptions, type LiveRecordClient, type LiveRecordClientOptions } from './live-record-client.js';
export { LiveRecordError } from './live-record-error.js';
export { ADMIN_KEY_FILE, DEFAULT_DATA_DIR, DEFAULT_SERVER, resolveConnection, type ConnectionInputs, type ConnectionSettings } from './connection-settings.js';
export { METHOD_NAMES, requestCodec, responseCodec, rpcName, rpcPath, type MethodName, type RequestOf, type ResponseOf } from './service-methods.js';
export * as messages from '../proto/index.js';
