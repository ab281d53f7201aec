// Runs the index service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { IndexService } from './index-service.js';

runMain('index', (bus, config) => [new IndexService(bus, config)]);
