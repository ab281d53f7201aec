// Every configuration key in one table: its dotted name (as used in a JSON config
// file), the environment variable that overrides it, its type and its default.
// Defaults that depend on the data directory are filled in by loadConfig.

export type KeyType = 'string' | 'port' | 'int' | 'bool' | 'list' | 'map';

export interface KeySpec {
  key: string;
  env: string;
  type: KeyType;
  default: string | number | boolean | string[] | Record<string, string> | null;
  /** Allowed values for a string key. */
  oneOf?: readonly string[];
  min?: number;
  max?: number;
  secret?: boolean;
  doc: string;
}

export const CONFIG_KEYS: readonly KeySpec[] = [
  { key: 'dataDir', env: 'LR_DATA_DIR', type: 'string', default: './data', doc: 'Root of spool, storage, catalogue and NATS store' },
  { key: 'bind', env: 'LR_BIND', type: 'string', default: '0.0.0.0', doc: 'Address the RTMP, gRPC and HTTP listeners bind to' },
  { key: 'logLevel', env: 'LR_LOG_LEVEL', type: 'string', default: 'info', oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'silent'], doc: 'Log level' },
  { key: 'logFormat', env: 'LR_LOG_FORMAT', type: 'string', default: 'auto', oneOf: ['auto', 'pretty', 'json'], doc: 'Log lines: pretty (time, level, component, message, key=values; coloured on a terminal unless NO_COLOR is set) or json (one object a line); auto is pretty when stdout is a terminal, json otherwise' },
  { key: 'telemetry.otlpEndpoint', env: 'LR_OTLP_ENDPOINT', type: 'string', default: '', doc: 'OTLP/HTTP endpoint (e.g. http://collector:4318) that receives the traces; empty keeps them in logs only' },
  { key: 'nats.url', env: 'LR_NATS_URL', type: 'string', default: null, doc: 'NATS server URL; empty in embedded mode starts a local nats-server' },
  { key: 'nats.port', env: 'LR_NATS_PORT', type: 'port', default: 4222, doc: 'Port of the embedded nats-server' },
  { key: 'nats.replicas', env: 'LR_NATS_REPLICAS', type: 'int', default: 1, min: 1, max: 5, doc: 'Replicas of every JetStream stream and KV bucket (3 on a 3-node cluster survives losing a node; 1 for a single server)' },
  { key: 'ingest.rtmpPort', env: 'LR_RTMP_PORT', type: 'port', default: 1935, doc: 'RTMP listen port' },
  { key: 'ingest.nodeId', env: 'LR_INGEST_NODE_ID', type: 'string', default: '', doc: 'Name of this ingest node (default: hostname)' },
  { key: 'ingest.codecWaitMs', env: 'LR_INGEST_CODEC_WAIT_MS', type: 'int', default: 3000, min: 100, max: 60000, doc: 'How long to wait for the second elementary stream before announcing a publish' },
  { key: 'api.tlsCertFile', env: 'LR_TLS_CERT_FILE', type: 'string', default: '', doc: 'PEM certificate (chain) for gRPC and the HTTP playback port; with LR_TLS_KEY_FILE turns TLS on for both' },
  { key: 'api.tlsKeyFile', env: 'LR_TLS_KEY_FILE', type: 'string', default: '', secret: true, doc: 'PEM private key of LR_TLS_CERT_FILE' },
  { key: 'api.grpcPort', env: 'LR_GRPC_PORT', type: 'port', default: 50051, doc: 'gRPC listen port' },
  { key: 'api.httpPort', env: 'LR_HTTP_PORT', type: 'port', default: 8080, doc: 'HTTP port: /healthz, /metrics, playback' },
  { key: 'api.publicBaseUrl', env: 'LR_PUBLIC_BASE_URL', type: 'string', default: '', doc: 'Base URL of recordings on local disk (default http://localhost:{httpPort}/)' },
  { key: 'api.adminKeyFile', env: 'LR_ADMIN_KEY_FILE', type: 'string', default: '', doc: 'Where the first start writes the admin API key (mode 0600; default {dataDir}/admin.key); an existing file is left alone' },
  { key: 'api.opsBind', env: 'LR_OPS_BIND', type: 'string', default: '127.0.0.1', doc: 'Address of the separate /metrics and /healthz listener (when LR_OPS_PORT is set)' },
  { key: 'api.opsPort', env: 'LR_OPS_PORT', type: 'port', default: 0, doc: 'Port of a separate /metrics and /healthz listener; 0 serves them on the HTTP port' },
  { key: 'api.usageRefreshSeconds', env: 'LR_USAGE_METRICS_REFRESH_SECONDS', type: 'int', default: 30, min: 1, max: 3600, doc: 'How long one reading of the catalogue serves the usage gauges at /metrics (a scrape asks the index at most this often)' },
  { key: 'publishAuth.enabled', env: 'LR_PUBLISH_AUTH', type: 'bool', default: true, doc: 'Publishes need a signed URL (auth_key); only trusted addresses may publish unsigned, and only to the default domain' },
  { key: 'publishAuth.keys', env: 'LR_PUBLISH_AUTH_KEYS', type: 'map', default: {}, secret: true, doc: 'Publish signing keys as domain=primary or domain=primary:secondary pairs (keys set over gRPC win)' },
  { key: 'publishAuth.trustedAddresses', env: 'LR_PUBLISH_TRUSTED_ADDRESSES', type: 'list', default: ['loopback'], doc: 'Publisher addresses that may publish unsigned to the default domain (loopback = 127.0.0.0/8 and ::1; empty: nobody)' },
  { key: 'ingest.rtmpPlay', env: 'LR_RTMP_PLAY', type: 'bool', default: false, doc: 'Allow RTMP play of live streams (signed like publishes)' },
  { key: 'playback.auth', env: 'LR_PLAYBACK_AUTH', type: 'bool', default: true, doc: 'Recordings over HTTP need a signed URL or a read API key' },
  { key: 'playback.signingKey', env: 'LR_PLAYBACK_SIGNING_KEY', type: 'string', default: '', secret: true, doc: 'HMAC key of signed playback URLs (default: generated into {dataDir}/playback.key at first start)' },
  { key: 'playback.urlTtlSeconds', env: 'LR_PLAYBACK_URL_TTL_SECONDS', type: 'int', default: 3600, min: 10, max: 31536000, doc: 'Lifetime of the signed record_url in API answers' },
  { key: 'outbound.allowLoopback', env: 'LR_OUTBOUND_ALLOW_LOOPBACK', type: 'bool', default: true, doc: 'Callbacks and on-demand requests may go to loopback addresses' },
  { key: 'outbound.allowPrivate', env: 'LR_OUTBOUND_ALLOW_PRIVATE', type: 'bool', default: false, doc: 'Callbacks and on-demand requests may go to private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)' },
  { key: 'outbound.allowHosts', env: 'LR_OUTBOUND_ALLOW_HOSTS', type: 'list', default: [], doc: 'If set, callbacks and on-demand requests may only go to these host names or addresses' },
  { key: 'storage.endpoints', env: 'LR_S3_ENDPOINTS', type: 'list', default: [], doc: 'Further S3 endpoint URLs a template may name as oss_endpoint (LR_S3_ENDPOINT always may)' },
  { key: 'domains.default', env: 'LR_DEFAULT_DOMAIN', type: 'string', default: 'localhost', doc: 'Domain of streams pushed to an unmapped host' },
  { key: 'domains.aliases', env: 'LR_DOMAIN_ALIASES', type: 'map', default: {}, doc: 'host=domain pairs; 127.0.0.1 and localhost always map to the default domain' },
  { key: 'defaultTemplate.bucket', env: 'LR_DEFAULT_TEMPLATE_BUCKET', type: 'string', default: '', doc: 'Bucket on LR_S3_ENDPOINT for the catch-all template; empty stores on local disk' },
  { key: 'defaultTemplate.enabled', env: 'LR_DEFAULT_TEMPLATE', type: 'bool', default: true, doc: 'Ship the catch-all automatic template (default domain, *, *)' },
  { key: 'defaultTemplate.formats', env: 'LR_DEFAULT_TEMPLATE_FORMATS', type: 'list', default: ['m3u8'], doc: 'Formats of the catch-all template' },
  { key: 'defaultTemplate.sliceSeconds', env: 'LR_DEFAULT_TEMPLATE_SLICE_SECONDS', type: 'int', default: 30, doc: 'Segment length of the catch-all template' },
  { key: 'defaultTemplate.cycleSeconds', env: 'LR_DEFAULT_TEMPLATE_CYCLE_SECONDS', type: 'int', default: 10800, doc: 'Recording cycle of the catch-all template' },
  { key: 'defaultTemplate.delaySeconds', env: 'LR_DEFAULT_TEMPLATE_DELAY_SECONDS', type: 'int', default: 180, doc: 'Reconnect window of the catch-all template' },
  { key: 'matcher.onDemandTimeoutMs', env: 'LR_ON_DEMAND_TIMEOUT_MS', type: 'int', default: 3000, min: 100, max: 30000, doc: 'How long the on-demand callback may take to answer' },
  { key: 'matcher.onDemandFallback', env: 'LR_ON_DEMAND_FALLBACK', type: 'string', default: 'skip', oneOf: ['skip', 'record'], doc: 'What an unusable on-demand answer (error, timeout, garbage) means: skip or record' },
  { key: 'notifier.timeoutMs', env: 'LR_CALLBACK_TIMEOUT_MS', type: 'int', default: 5000, min: 100, max: 60000, doc: 'How long a callback receiver may take to answer' },
  { key: 'notifier.maxAttempts', env: 'LR_CALLBACK_MAX_ATTEMPTS', type: 'int', default: 12, min: 1, max: 1000, doc: 'Deliveries of one callback before it is given up (and evented)' },
  { key: 'notifier.firstBackoffMs', env: 'LR_CALLBACK_FIRST_BACKOFF_MS', type: 'int', default: 1000, min: 10, max: 600000, doc: 'Wait before the first retry; doubles each time' },
  { key: 'notifier.maxBackoffMs', env: 'LR_CALLBACK_MAX_BACKOFF_MS', type: 'int', default: 300000, min: 10, max: 3600000, doc: 'Longest wait between retries' },
  { key: 'library.jobAckWaitMs', env: 'LR_LIBRARY_JOB_ACK_WAIT_MS', type: 'int', default: 60000, min: 1000, max: 3600000, doc: 'How long a library job (merge, processing) of a worker that stopped answering waits before another worker takes it' },
  { key: 'embedded.services', env: 'LR_EMBEDDED_SERVICES', type: 'list', default: ['index', 'library', 'storage-uploader', 'notifier', 'splice-timer', 'recorder', 'matcher', 'transcoder', 'ingest', 'api'], doc: 'Services npm start runs in its process (run the others alone with their own main)' },
  { key: 'retention.fileDays', env: 'LR_RETENTION_FILE_DAYS', type: 'int', default: 180, min: 1, max: 36500, doc: 'Days a file record stays in the catalogue' },
  { key: 'retention.segmentDays', env: 'LR_RETENTION_SEGMENT_DAYS', type: 'int', default: 90, min: 1, max: 36500, doc: 'Days a segment record stays in the catalogue (clips can be made from it)' },
  { key: 'retention.domains', env: 'LR_RETENTION_DOMAINS', type: 'map', default: {}, doc: 'Per-domain retention as domain=fileDays:segmentDays pairs' },
  { key: 'retention.deleteObjects', env: 'LR_RETENTION_DELETE_OBJECTS', type: 'bool', default: false, doc: 'Also delete the stored objects of expired records' },
  { key: 'retention.sweepSeconds', env: 'LR_RETENTION_SWEEP_SECONDS', type: 'int', default: 3600, min: 1, max: 604800, doc: 'How often the catalogue is swept for expired records' },
  { key: 'limits.relaxed', env: 'LR_RELAXED_LIMITS', type: 'bool', default: false, doc: 'Test only: lower the minimum segment, cycle and reconnect durations to 1 s' },
  { key: 'storage.root', env: 'LR_STORAGE_ROOT', type: 'string', default: '', doc: 'Local-disk storage root (default {dataDir}/storage)' },
  { key: 'storage.s3.endpoint', env: 'LR_S3_ENDPOINT', type: 'string', default: '', doc: 'S3-compatible endpoint URL; empty disables object storage (templates may name another endpoint)' },
  { key: 'storage.s3.region', env: 'LR_S3_REGION', type: 'string', default: 'us-east-1', doc: 'S3 region' },
  { key: 'storage.s3.accessKeyId', env: 'LR_S3_ACCESS_KEY_ID', type: 'string', default: '', secret: true, doc: 'S3 access key id' },
  { key: 'storage.s3.secretAccessKey', env: 'LR_S3_SECRET_ACCESS_KEY', type: 'string', default: '', secret: true, doc: 'S3 secret access key' },
  { key: 'storage.s3.forcePathStyle', env: 'LR_S3_FORCE_PATH_STYLE', type: 'bool', default: true, doc: 'Path-style bucket addressing (MinIO, Ceph and most S3-compatible services need it)' },
  { key: 'storage.s3.partSizeBytes', env: 'LR_S3_PART_SIZE_BYTES', type: 'int', default: 8388608, min: 5242880, max: 5368709120, doc: 'Multipart part size; larger files are uploaded in parts' },
  { key: 'spool.maxBytes', env: 'LR_SPOOL_MAX_BYTES', type: 'int', default: 10737418240, min: 1048576, max: 1099511627776, doc: 'Spool size above which the recorder is told storage is falling behind' },
  { key: 'spool.dir', env: 'LR_SPOOL_DIR', type: 'string', default: '', doc: 'Spool for segments being written (default {dataDir}/spool)' },
  { key: 'catalogue.driver', env: 'LR_CATALOGUE_DRIVER', type: 'string', default: 'sqlite', oneOf: ['sqlite', 'postgres'], doc: 'Catalogue database' },
  { key: 'catalogue.sqlitePath', env: 'LR_SQLITE_PATH', type: 'string', default: '', doc: 'SQLite file (default {dataDir}/catalogue.sqlite)' },
  { key: 'catalogue.postgresUrl', env: 'LR_POSTGRES_URL', type: 'string', default: '', secret: true, doc: 'PostgreSQL connection string when driver is postgres' },
  { key: 'media.maxAgeSeconds', env: 'LR_MEDIA_MAX_AGE_SECONDS', type: 'int', default: 180, min: 10, max: 86400, doc: 'How long the media plane keeps a stream\'s packets: a worker takeover must happen within it (>= 2x the lease TTL plus the longest segment)' },
  { key: 'media.maxBytes', env: 'LR_MEDIA_MAX_BYTES', type: 'int', default: 8589934592, min: 16777216, max: 1099511627776, doc: 'Size limit of the media plane\'s stream; the oldest packets go first' },
  { key: 'media.storage', env: 'LR_MEDIA_STORAGE', type: 'string', default: 'file', oneOf: ['file', 'memory'], doc: 'JetStream storage of the media plane (file: bounded memory; memory: lower latency, RAM for the whole retention)' },
  { key: 'media.batchMs', env: 'LR_MEDIA_BATCH_MS', type: 'int', default: 1000, min: 0, max: 5000, doc: 'Longest time the ingest gathers a stream\'s packets into one media-plane message (also cut at every keyframe)' },
  { key: 'recorder.workerId', env: 'LR_WORKER_ID', type: 'string', default: '', doc: 'Recorder worker name (default hostname-pid)' },
  { key: 'recorder.shutdown', env: 'LR_RECORDER_SHUTDOWN', type: 'string', default: 'finalize', oneOf: ['finalize', 'handover'], doc: 'On SIGTERM: finalize open files, or hand recordings over (snapshot kept) so the next worker continues them' },
  { key: 'recorder.leaseTtlMs', env: 'LR_LEASE_TTL_MS', type: 'int', default: 15000, min: 3000, max: 600000, doc: 'How long an actor lease lives without renewal' },
];
