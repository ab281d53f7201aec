import { readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type * as grpc from '@grpc/grpc-js';
import type { Bus } from '../../../libs/bus/index.js';
import type { Config } from '../../../libs/config/index.js';
import { LocalDiskStorage } from '../../../libs/storage/index.js';
import { componentLogger } from '../../../libs/telemetry/index.js';
import { PublishKeys } from '../../../libs/publish-auth/index.js';
import { playbackSigningKey, signPublicUrl } from '../../../libs/playback-auth/index.js';
import { ensureAdminKeyFile } from './auth/admin-key-file.js';
import { ApiKeyStore } from './auth/api-key-store.js';
import { SecurityHandlers } from './auth/security-handlers.js';
import { WebConsole } from './console/web-console.js';
import { startGrpcServer } from './grpc-server.js';
import { HealthMonitor } from './health.js';
import { startHttpServer } from './http-server.js';
import { methodTable } from './method-calls.js';
import { RecordHandlers } from './record-handlers.js';
import { SnapshotHandlers } from './snapshot-handlers.js';
import { TemplateHandlers } from './template-handlers.js';
import { LibraryHandlers } from './library-handlers.js';
import { UsageMetrics } from './usage-metrics.js';
import { TranscodeHandlers } from './transcode-handlers.js';

/** The storage endpoints a request or template may name: the configured ones. */
export function storageEndpoints(cfg: Config): string[] {
  return [cfg.storage.s3.endpoint, ...cfg.storage.endpoints].filter(Boolean);
}

/** The public surface: gRPC on one port; health, metrics and playback over HTTP on another. */
export class ApiService {
  private readonly log = componentLogger('api');
  private grpc: grpc.Server | null = null;
  private http: HttpServer | null = null;
  private ops: HttpServer | null = null;
  private health: HealthMonitor | null = null;
  private usageMetrics: UsageMetrics | null = null;
  private console: WebConsole | null = null;
  grpcPort = 0;

  constructor(private bus: Bus, private config: Config) {}

  async start(): Promise<void> {
    const cfg = this.config;
    const playbackKey = playbackSigningKey(cfg.playback.signingKey, cfg.dataDir);
    if (playbackKey.source === 'generated') this.log.info({ file: playbackKey.file }, 'created the playback URL signing key');
    const signUrl = cfg.playback.auth
      ? (url: string) => signPublicUrl(playbackKey.key, cfg.api.publicBaseUrl, url, Math.floor(Date.now() / 1000) + cfg.playback.urlTtlSeconds)
      : (url: string) => url;
    const handlers = new RecordHandlers(this.bus, !!cfg.storage.s3.endpoint, cfg.storage.root, signUrl, storageEndpoints(cfg));
    const keys = new ApiKeyStore(this.bus);
    await keys.start();
    await ensureAdminKeyFile(keys, this.config.api.adminKeyFile, this.log);
    const publishKeys = new PublishKeys(this.bus, this.config.publishAuth.keys);
    await publishKeys.open();
    const security = new SecurityHandlers(keys, publishKeys, this.config.publishAuth.enabled, this.log);
    // Optional TLS, one certificate for both public listeners; the loopback ops listener stays plain HTTP.
    const tls = cfg.api.tlsCertFile ? { cert: readFileSync(cfg.api.tlsCertFile), key: readFileSync(cfg.api.tlsKeyFile) } : undefined;
    const templates = new TemplateHandlers(this.bus);
    // One handler table for gRPC and the web console's JSON bridge.
    const snapshots = new SnapshotHandlers(this.bus, { s3: !!cfg.storage.s3.endpoint, endpoints: storageEndpoints(cfg) }, signUrl);
    await snapshots.start();
    const methods = methodTable({ handlers, templates, security, snapshots, transcodes: new TranscodeHandlers(this.bus), library: new LibraryHandlers(this.bus, signUrl) });
    const g = await startGrpcServer(this.config.bind, this.config.api.grpcPort, { tls, methods, keys, bus: this.bus, log: this.log });
    this.grpc = g.server;
    this.grpcPort = g.port;
    this.usageMetrics = new UsageMetrics(this.bus, this.log, { refreshMs: cfg.api.usageRefreshSeconds * 1000 });
    this.usageMetrics.start();
    const health = new HealthMonitor(this.bus, this.config.storage.root, this.log);
    this.health = health;
    await health.start();
    const separateOps = cfg.api.opsPort !== 0;
    const httpDeps = {
      storage: new LocalDiskStorage(cfg.storage.root, cfg.api.publicBaseUrl),
      health: () => health.check(),
      log: this.log,
      access: cfg.playback.auth ? { secret: playbackKey.key, ttlSeconds: cfg.playback.urlTtlSeconds, keys } : undefined,
    };
    const webConsole = new WebConsole({ bus: this.bus, log: this.log, keys, methods, templates });
    this.console = webConsole;
    await webConsole.start();
    this.http = await startHttpServer(cfg.bind, cfg.api.httpPort, { ...httpDeps, tls, console: webConsole, routes: { ops: !separateOps, playback: true } });
    if (separateOps) this.ops = await startHttpServer(cfg.api.opsBind, cfg.api.opsPort, { ...httpDeps, routes: { ops: true, playback: false } });
    this.log.info({ grpcPort: this.grpcPort, httpPort: cfg.api.httpPort, ops: separateOps ? `${cfg.api.opsBind}:${cfg.api.opsPort}` : 'on the HTTP port', playbackAuth: cfg.playback.auth }, 'api listening');
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.grpc ? this.grpc.tryShutdown(() => r()) : r()));
    this.grpc = null;
    await new Promise<void>((r) => {
      if (!this.http) return r();
      this.http.close(() => r());
      this.http.closeAllConnections();
    });
    this.http = null;
    await new Promise<void>((r) => {
      if (!this.ops) return r();
      this.ops.close(() => r());
      this.ops.closeAllConnections();
    });
    this.ops = null;
    this.health?.stop();
    this.health = null;
    this.usageMetrics?.stop();
    this.usageMetrics = null;
    this.console?.stop();
    this.console = null;
  }
}
