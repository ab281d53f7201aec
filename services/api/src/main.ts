// Runs the api service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { ApiService } from './api-service.js';

runMain('api', (bus, config) => [new ApiService(bus, config)]);
