// Runs the storage-uploader service alone (scale-out). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { UploaderService } from './uploader-service.js';

runMain('storage-uploader', (bus, config) => [new UploaderService(bus, config)]);
