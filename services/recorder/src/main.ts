// Runs the recorder service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { RecorderService } from './recorder-service.js';

runMain('recorder', (bus, config) => [new RecorderService(bus, config)]);
