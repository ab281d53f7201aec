export * from './payloads.js';
export { STREAMS, SUBJECTS, BUCKETS, CONSUMERS, streamToken, streamLabel } from './subjects.js';
export { connectBus, ensureTopology, bucket, publishDurable, traceHeaders, headerCarrier, type Bus, type BusOptions } from './connection.js';
export { consumeDurable, RetryLater, type DurableConsumerOptions, type Running } from './consume.js';
export { request, call, serve, RpcFailure, isNoResponders } from './rpc.js';
