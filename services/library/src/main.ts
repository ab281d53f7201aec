// Runs the media-library service alone (scale-out: more workers process more at once). Needs LR_NATS_URL.
import { runMain } from '../../../libs/runtime/index.js';
import { LibraryService } from './library-service.js';

runMain('library', (bus, config) => [new LibraryService(bus, config)]);
