import { join } from 'node:path';
import { CONSUMERS, STREAMS, type Bus } from '../../libs/bus/index.js';
import { loadConfig, type Config } from '../../libs/config/index.js';
import { missingMediaBinaries } from '../../libs/media/index.js';
import { hostServices, startNatsServer, waitConsumerIdle, type Startable } from '../../libs/runtime/index.js';
import { componentLogger } from '../../libs/telemetry/index.js';
import { ApiService } from '../../services/api/src/api-service.js';
import { IndexService } from '../../services/index/src/index-service.js';
import { IngestService } from '../../services/ingest/src/ingest-service.js';
import { MatcherService } from '../../services/matcher/src/matcher-service.js';
import { RecorderService } from '../../services/recorder/src/recorder-service.js';
import { SpliceTimerService } from '../../services/splice-timer/src/splice-timer-service.js';
import { UploaderService } from '../../services/storage-uploader/src/uploader-service.js';

/** Stops nothing itself: on the way down it waits until what the recorder flushed is stored and catalogued. */
function drainBarrier(bus: Bus): Startable {
  return {
    async start() {},
    async stop() {
      await waitConsumerIdle(bus, STREAMS.uploads, CONSUMERS.uploader, 30000);
      await waitConsumerIdle(bus, STREAMS.events, CONSUMERS.index, 15000);
    },
  };
}

export interface EmbeddedSystem {
  config: Config;
  stop(): Promise<void>;
}

/** Every service in one process, with a nats-server child unless LR_NATS_URL names one. */
export async function startEmbedded(config: Config = loadConfig()): Promise<EmbeddedSystem> {
  const log = componentLogger('embedded');
  const missing = missingMediaBinaries();
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: install Debian's ffmpeg package (npm start does this when run as root)`);
  const nats = config.nats.url ? null : await startNatsServer({ port: config.nats.port, storeDir: join(config.dataDir, 'nats') });
  if (nats) log.info({ url: nats.url }, 'nats-server started');
  try {
    const host = await hostServices('embedded', (bus, cfg) => [
      new IndexService(bus, cfg),
      new UploaderService(bus, cfg),
      drainBarrier(bus),
      new SpliceTimerService(bus),
      new RecorderService(bus, cfg),
      new MatcherService(bus, cfg),
      new IngestService(bus, cfg),
      new ApiService(bus, cfg),
    ], { natsUrl: nats?.url ?? config.nats.url!, config });
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
