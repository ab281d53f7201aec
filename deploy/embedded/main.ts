// `npm start`: the whole system as one process tree (nats-server and ffmpeg children).
import { stopOnSignals } from '../../libs/runtime/index.js';
import { componentLogger } from '../../libs/telemetry/index.js';
import { startEmbedded } from './embedded-system.js';

startEmbedded().then(
  (system) => stopOnSignals(system.stop),
  (err) => {
    componentLogger('embedded').fatal({ err: (err as Error).message }, 'could not start');
    process.exit(1);
  },
);
