// Runs the notifier service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { NotifierService } from './notifier-service.js';

runMain('notifier', (bus, config) => [new NotifierService(bus, config)]);
