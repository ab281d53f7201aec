export * from './payloads.js';
export * from './transcode-payloads.js';
export * from './usage-payloads.js';
export * from './thumbnail-payloads.js';
export { STREAMS, SUBJECTS, BUCKETS, CONSUMERS, INDEX_METHODS, MATCHER_METHODS, RECORDER_METHODS, TRANSCODER_METHODS, type IndexMethod, type MatcherMethod, type RecorderMethod, type TranscoderMethod, streamToken, streamLabel } from './subjects.js';
export { connectBus, ensureTopology, bucket, publishDurable, traceHeaders, headerCarrier, type Bus, type BusOptions, type MediaRetention } from './connection.js';
export { consumeDurable, RetryLater, type DurableConsumerOptions, type Running } from './consume.js';
export { readOrdered, type OrderedMessages, type OrderedReadOptions } from './ordered-reader.js';
export { request, call, serve, RpcFailure, RpcTimeout, isNoResponders, type PageQuery, type Page } from './rpc.js';
