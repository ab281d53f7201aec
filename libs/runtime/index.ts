export { startNatsServer, EMBEDDED_MAX_PAYLOAD, type NatsServerProcess, type NatsServerOptions } from './nats-server-process.js';
export { waitConsumerIdle } from './drain.js';
export { hostServices, named, stopOnSignals, runMain, type Startable, type HostedProcess } from './service-host.js';
export { Supervisor, serviceName, type SupervisorOptions } from './supervisor.js';
export { reportServiceFailure, currentScope, type ServiceScope } from './service-scope.js';
export { catchEscapedErrors, publishEscapedErrorsTo, observeEscapedErrors, type EscapedError } from './escaped-errors.js';
export { reportStorageHealth, type StorageHealthReport } from './storage-health.js';
