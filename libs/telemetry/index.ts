export { rootLogger, componentLogger, setLogLevel, setLogFormat, type Logger } from './logger.js';
export { chooseLogOutput, type LogFormatSetting, type LogOutput } from './log-format.js';
export { installTracing, shutdownTracing, injectTrace, extractTrace, inSpan, type HeaderCarrier } from './tracing.js';
export { installMetrics, meter, serveMetrics, shutdownMetrics, SECONDS_BUCKETS } from './metrics.js';
export { addScrapeGauges, type GaugeFamily, type GaugeSample, type GaugeSource } from './scrape-gauges.js';

import { installTracing } from './tracing.js';
import { installMetrics } from './metrics.js';
import { setLogFormat, setLogLevel } from './logger.js';

export function installTelemetry(serviceName: string, logLevel: string, otlpEndpoint = '', logFormat = 'auto'): void {
  setLogLevel(logLevel);
  setLogFormat(logFormat);
  installTracing(serviceName, otlpEndpoint);
  installMetrics(serviceName);
}
