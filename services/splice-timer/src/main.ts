// Runs the splice-timer service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { SpliceTimerService } from './splice-timer-service.js';

runMain('splice-timer', (bus) => [new SpliceTimerService(bus)]);
