import { context, propagation, trace, SpanStatusCode, type Context, type Span, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AsyncLocalStorageContextManager } from './context-manager.js';
import { componentLogger } from './logger.js';

let provider: BasicTracerProvider | null = null;

/**
 * Installs the tracer provider, W3C propagation and async context once per process.
 * With an OTLP endpoint (Jaeger, Tempo, an OpenTelemetry collector) spans are
 * exported there over OTLP/HTTP; without one they still carry trace ids into logs
 * and across NATS and gRPC.
 */
export function installTracing(serviceName = 'liverecord', otlpEndpoint = ''): void {
  if (provider) return;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: otlpEndpoint
      ? [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` }), { scheduledDelayMillis: 1000 })]
      : [],
  });
  trace.setGlobalTracerProvider(provider);
}

/** Sends the spans still buffered. */
export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown().catch((err: unknown) => {
    // Shutting down anyway: spans the collector did not take are lost, which the log says.
    componentLogger('telemetry').warn({ err: (err as Error).message }, 'buffered spans could not be sent at shutdown');
  });
}

/** Anything with get/set of string headers: NATS MsgHdrs and gRPC Metadata both fit through adapters. */
export interface HeaderCarrier {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

const setter: TextMapSetter<HeaderCarrier> = { set: (c, k, v) => c.set(k, v) };
const getter: TextMapGetter<HeaderCarrier> = {
  get: (c, k) => c.get(k),
  keys: () => ['traceparent', 'tracestate'],
};

export function injectTrace(carrier: HeaderCarrier, ctx: Context = context.active()): void {
  propagation.inject(ctx, carrier, setter);
}

export function extractTrace(carrier: HeaderCarrier | undefined): Context {
  return carrier ? propagation.extract(context.active(), carrier, getter) : context.active();
}

/** Runs fn in a span that is a child of parent, ending it with the outcome. */
export async function inSpan<T>(component: string, name: string, parent: Context, fn: (span: Span) => Promise<T>): Promise<T> {
  const tracer = trace.getTracer(`liverecord.${component}`);
  return tracer.startActiveSpan(name, {}, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
