import { pino, type Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import { chooseLogOutput } from './log-format.js';
import { LogSink } from './log-sink.js';

export type { Logger };

let root: Logger | null = null;
let sink: LogSink | null = null;

/** Pretty on a terminal, JSON on a pipe or in a file, as LR_LOG_FORMAT and NO_COLOR say. */
function outputFor(setting: string | undefined) {
  return chooseLogOutput(setting, process.env, !!process.stdout.isTTY);
}

/**
 * One root logger per process; components get children that carry their name and the active
 * trace id. Its form comes from the environment until the configuration is read (setLogFormat).
 */
export function rootLogger(level = process.env.LR_LOG_LEVEL ?? 'info'): Logger {
  if (root) return root;
  // pino's own default destination (stdout, flushed at exit), behind the sink that picks the form.
  sink = new LogSink(pino.destination({ dest: 1 }), outputFor(process.env.LR_LOG_FORMAT));
  root = pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const span = trace.getActiveSpan();
      return span ? { traceId: span.spanContext().traceId } : {};
    },
  }, sink);
  return root;
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
}

/** The configured form of log lines (logFormat: auto, pretty or json). */
export function setLogFormat(setting: string): void {
  rootLogger();
  sink!.output = outputFor(setting);
}

export function componentLogger(component: string): Logger {
  return rootLogger().child({ component });
}
