export { rootLogger, componentLogger, setLogLevel, type Logger } from './logger.js';
export { installTracing, shutdownTracing, injectTrace, extractTrace, inSpan, type HeaderCarrier } from './tracing.js';
export { installMetrics, meter, serveMetrics, shutdownMetrics, SECONDS_BUCKETS } from './metrics.js';
export { addScrapeGauges, type GaugeFamily, type GaugeSample, type GaugeSource } from './scrape-gauges.js';

import { installTracing } from './tracing.js';
import { installMetrics } from './metrics.js';
import { setLogLevel } from './logger.js';

export function installTelemetry(serviceName: string, logLevel: string, otlpEndpoint = ''): void {
  setLogLevel(logLevel);
  installTracing(serviceName, otlpEndpoint);
  installMetrics(serviceName);
}
