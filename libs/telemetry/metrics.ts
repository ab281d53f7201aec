import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics, type Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { componentLogger } from './logger.js';
import { scrapeGaugeText } from './scrape-gauges.js';

let exporter: PrometheusExporter | null = null;
let provider: MeterProvider | null = null;

/** Installs one meter provider per process whose readings the HTTP port serves at /metrics. */
export function installMetrics(serviceName: string): void {
  if (provider) return;
  exporter = new PrometheusExporter({ preventServerStart: true });
  provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    readers: [exporter],
  });
  metrics.setGlobalMeterProvider(provider);
}

export function meter(component: string): Meter {
  return metrics.getMeter(`liverecord.${component}`);
}

const serializer = new PrometheusSerializer();

/** The OpenTelemetry instruments and the scrape-time gauges (scrape-gauges.ts), as Prometheus text. */
async function metricsText(from: PrometheusExporter): Promise<string> {
  const [{ resourceMetrics, errors }, gauges] = await Promise.all([from.collect(), scrapeGaugeText()]);
  if (errors.length) componentLogger('telemetry').error({ errors: errors.map(String) }, 'metrics collection errors');
  return `${serializer.serialize(resourceMetrics)}\n${gauges}`;
}

export function serveMetrics(_req: IncomingMessage, res: ServerResponse): void {
  if (!exporter) {
    res.writeHead(503).end('metrics not installed\n');
    return;
  }
  metricsText(exporter).then(
    (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
    (err: unknown) => {
      componentLogger('telemetry').error({ err: (err as Error).message }, 'could not collect the metrics');
      res.writeHead(500, { 'content-type': 'text/plain' }).end('could not collect the metrics\n');
    },
  );
}

/** Histogram buckets in seconds, for durations that OTel would otherwise bucket as milliseconds. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export async function shutdownMetrics(): Promise<void> {
  await provider?.shutdown().catch((err: unknown) => {
    // Shutting down anyway: the last readings are lost, which the log says.
    componentLogger('telemetry').warn({ err: (err as Error).message }, 'the metrics provider did not shut down cleanly');
  });
  provider = null;
  exporter = null;
}
