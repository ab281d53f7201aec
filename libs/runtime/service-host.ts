import { SUBJECTS, connectBus, publishDurable, type Bus } from '../bus/index.js';
import { loadConfig, redactConfig, type Config } from '../config/index.js';
import { componentLogger, installTelemetry, shutdownMetrics, shutdownTracing } from '../telemetry/index.js';
import { catchEscapedErrors, publishEscapedErrorsTo } from './escaped-errors.js';
import { Supervisor, type Startable } from './supervisor.js';

export type { Startable } from './supervisor.js';

/** Gives a service the name its logs, metrics and restarts use. */
export function named(name: string, service: Startable): Startable {
  return { name, start: () => service.start(), stop: () => service.stop() };
}

export interface HostedProcess {
  config: Config;
  bus: Bus;
  stop(): Promise<void>;
}

/**
 * Wiring shared by every main: configuration, telemetry, the bus, then the
 * services in order, each under a Supervisor that restarts it with backoff when
 * it fails; SIGTERM/SIGINT stop them in reverse order and exit. An error that
 * escapes every handler is logged, counted and published on lr.evt.process.error
 * instead of ending the process.
 */
export async function hostServices(name: string, build: (bus: Bus, config: Config) => Startable[] | Promise<Startable[]>, opts: { natsUrl?: string; config?: Config } = {}): Promise<HostedProcess> {
  const config = opts.config ?? loadConfig();
  installTelemetry(`liverecord-${name}`, config.logLevel, config.telemetry.otlpEndpoint, config.logFormat);
  catchEscapedErrors();
  const log = componentLogger(name);
  const url = opts.natsUrl ?? config.nats.url;
  if (!url) throw new Error(`config nats.url (LR_NATS_URL) is required to run ${name} on its own`);
  log.info({ config: redactConfig(config) }, 'starting');
  const bus = await connectBus({ url, name: `liverecord-${name}`, leaseTtlMs: config.recorder.leaseTtlMs, media: config.media, replicas: config.nats.replicas });
  publishEscapedErrorsTo((e) => publishDurable(bus, SUBJECTS.processError, e, undefined, 1));
  const started: Supervisor[] = [];
  try {
    for (const s of await build(bus, config)) {
      const supervisor = new Supervisor(s, { log });
      await supervisor.start();
      started.push(supervisor);
    }
  } catch (err) {
    // A service that cannot start at all: stop those that did, so the process can exit cleanly.
    for (const s of started.reverse()) await s.stop().catch((e: unknown) => log.error({ service: s.name, err: (e as Error).message }, 'stop failed'));
    publishEscapedErrorsTo(null);
    await bus.close();
    throw err;
  }
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= (async () => {
    log.info('stopping');
    let first: unknown = null;
    for (const s of started.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        first ??= err;
        log.error({ service: s.name, err: (err as Error).message }, 'stop failed');
      }
    }
    publishEscapedErrorsTo(null);
    await bus.close();
    await shutdownMetrics();
    await shutdownTracing();
    log.info('stopped');
    if (first) throw first;
  })());
  return { config, bus, stop };
}

/**
 * Stops the process cleanly on SIGTERM/SIGINT. Ctrl-C reaches a process both from
 * the terminal and relayed by npm, so repeats within 3 s are the same request;
 * a signal after that forces the exit.
 */
export function stopOnSignals(stop: () => Promise<void>): void {
  let signalledAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalledAt) {
      if (Date.now() - signalledAt > 3000) process.exit(130);
      return;
    }
    signalledAt = Date.now();
    componentLogger('main').info({ signal: sig }, 'shutting down');
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** The whole life of a single-service process: host it, stop on signals, and explain a failed start. */
export function runMain(name: string, build: (bus: Bus, config: Config) => Startable[] | Promise<Startable[]>): void {
  hostServices(name, build).then(
    (host) => stopOnSignals(host.stop),
    (err) => {
      componentLogger(name).fatal({ err: (err as Error).message }, 'could not start');
      process.exit(1);
    },
  );
}
