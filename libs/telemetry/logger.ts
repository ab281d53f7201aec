import { pino, type Logger } from 'pino';
import { trace } from '@opentelemetry/api';

export type { Logger };

let root: Logger | null = null;

/** One root logger per process; components get children that carry their name and the active trace id. */
export function rootLogger(level = process.env.LR_LOG_LEVEL ?? 'info'): Logger {
  root ??= pino({
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const span = trace.getActiveSpan();
      return span ? { traceId: span.spanContext().traceId } : {};
    },
  });
  return root;
}

export function setLogLevel(level: string): void {
  rootLogger().level = level;
}

export function componentLogger(component: string): Logger {
  return rootLogger().child({ component });
}
