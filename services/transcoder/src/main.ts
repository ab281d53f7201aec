// Runs the transcoder service alone (scale-out: run several). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { TranscoderService } from './transcoder-service.js';

runMain('transcoder', (bus, config) => [new TranscoderService(bus, config)]);
