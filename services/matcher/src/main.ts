// Runs the matcher service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { MatcherService } from './matcher-service.js';

runMain('matcher', (bus, config) => [new MatcherService(bus, config)]);
