// Runs the ingest service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { IngestService } from './ingest-service.js';

runMain('ingest', (bus, config) => [new IngestService(bus, config)]);
