import { join } from 'node:path';
import { CONSUMERS, STREAMS, type Bus } from '../../libs/bus/index.js';
import { ConfigError, loadConfig, type Config } from '../../libs/config/index.js';
import { missingMediaBinaries } from '../../libs/media/index.js';
import { catchEscapedErrors, hostServices, named, startNatsServer, waitConsumerIdle, type Startable } from '../../libs/runtime/index.js';
import { componentLogger } from '../../libs/telemetry/index.js';
import { ApiService } from '../../services/api/src/api-service.js';
import { IndexService } from '../../services/index/src/index-service.js';
import { LibraryService } from '../../services/library/src/library-service.js';
import { IngestService } from '../../services/ingest/src/ingest-service.js';
import { MatcherService } from '../../services/matcher/src/matcher-service.js';
import { NotifierService } from '../../services/notifier/src/notifier-service.js';
import { RecorderService } from '../../services/recorder/src/recorder-service.js';
import { SpliceTimerService } from '../../services/splice-timer/src/splice-timer-service.js';
import { TranscoderService } from '../../services/transcoder/src/transcoder-service.js';
import { UploaderService } from '../../services/storage-uploader/src/uploader-service.js';

/** Stops nothing itself: on the way down it waits until what the recorder flushed is stored, catalogued and announced. */
function drainBarrier(bus: Bus, services: string[]): Startable {
  return {
    name: 'drain-barrier',
    async start() {},
    async stop() {
      if (services.includes('storage-uploader')) await waitConsumerIdle(bus, STREAMS.uploads, CONSUMERS.uploader, 30000);
      if (services.includes('index')) await waitConsumerIdle(bus, STREAMS.events, CONSUMERS.index, 15000);
      if (services.includes('notifier')) await waitConsumerIdle(bus, STREAMS.events, 'notifier-files', 10000);
    },
  };
}

export const EMBEDDABLE = ['index', 'library', 'storage-uploader', 'notifier', 'splice-timer', 'recorder', 'matcher', 'transcoder', 'ingest', 'api'] as const;

/** The services in start order; they stop in reverse, the drain barrier between producers and consumers. */
function buildServices(bus: Bus, cfg: Config): Startable[] {
  const wanted = cfg.embedded.services;
  for (const name of wanted) {
    if (!(EMBEDDABLE as readonly string[]).includes(name)) throw new ConfigError('embedded.services', 'LR_EMBEDDED_SERVICES', `unknown service "${name}" (one of ${EMBEDDABLE.join(', ')})`);
  }
  const make: Record<(typeof EMBEDDABLE)[number], () => Startable> = {
    index: () => new IndexService(bus, cfg),
    // Media library: assets, merges and processing (its catalogue tables are the index's).
    library: () => new LibraryService(bus, cfg),
    'storage-uploader': () => new UploaderService(bus, cfg),
    notifier: () => new NotifierService(bus, cfg),
    'splice-timer': () => new SpliceTimerService(bus),
    recorder: () => new RecorderService(bus, cfg),
    matcher: () => new MatcherService(bus, cfg),
    // After the ingest on the way down: renditions see their sources end, then finish.
    transcoder: () => new TranscoderService(bus, cfg),
    ingest: () => new IngestService(bus, cfg),
    api: () => new ApiService(bus, cfg),
  };
  const out: Startable[] = [];
  for (const name of EMBEDDABLE) {
    if (wanted.includes(name)) out.push(named(name, make[name]()));
    if (name === 'notifier') out.push(drainBarrier(bus, wanted));
  }
  return out;
}

export interface EmbeddedSystem {
  config: Config;
  stop(): Promise<void>;
}

/**
 * Every service in one process, with a nats-server child unless LR_NATS_URL names one.
 * Nothing one part does takes the tree down: a broker that dies is started again,
 * a service that fails is restarted by its supervisor (libs/runtime/supervisor.ts),
 * and an error that escapes every handler is logged, counted and evented.
 */
export async function startEmbedded(config: Config = loadConfig()): Promise<EmbeddedSystem> {
  catchEscapedErrors();
  const log = componentLogger('embedded');
  const missing = missingMediaBinaries();
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: install Debian's ffmpeg package (npm start does this when run as root)`);
  const nats = config.nats.url ? null : await startNatsServer({ port: config.nats.port, storeDir: join(config.dataDir, 'nats'), restart: true });
  if (nats) log.info({ url: nats.url }, 'nats-server started');
  try {
    const host = await hostServices('embedded', buildServices, { natsUrl: nats?.url ?? config.nats.url!, config });
    log.info({ rtmp: config.ingest.rtmpPort, grpc: config.api.grpcPort, http: config.api.httpPort, dataDir: config.dataDir }, 'liverecord is up');
    return {
      config,
      async stop() {
        try {
          await host.stop();
        } finally {
          await nats?.stop();
        }
      },
    };
  } catch (err) {
    await nats?.stop();
    throw err;
  }
}
