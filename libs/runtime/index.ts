export { startNatsServer, type NatsServerProcess } from './nats-server-process.js';
export { waitConsumerIdle } from './drain.js';
export { hostServices, stopOnSignals, runMain, type Startable, type HostedProcess } from './service-host.js';
