import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics, type Meter } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';

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

export function serveMetrics(req: IncomingMessage, res: ServerResponse): void {
  if (!exporter) {
    res.writeHead(503).end('metrics not installed\n');
    return;
  }
  exporter.getMetricsRequestHandler(req, res);
}

/** Histogram buckets in seconds, for durations that OTel would otherwise bucket as milliseconds. */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export async function shutdownMetrics(): Promise<void> {
  await provider?.shutdown().catch(() => undefined);
  provider = null;
  exporter = null;
}
