// What a master playlist needs to know of a recording's variants that the
// catalogue does not hold: the codec strings of the source and of each
// rendition (KV lr_transcode_variants), written by the transcoder once its
// output's configuration records are seen. Keys: `src.{token(source)}.{id}`
// lists a source's renditions, `ren.{token(rendition)}` finds a rendition's source.
import type { KV } from '@nats-io/kv';
import { BUCKETS, bucket, streamToken, type Bus, type RenditionVariant, type StreamRef } from '../../../libs/bus/index.js';

export class VariantStore {
  private kv!: KV;

  constructor(private readonly bus: Bus) {}

  async open(): Promise<void> {
    this.kv = await bucket(this.bus, BUCKETS.transcodeVariants);
  }

  async put(v: RenditionVariant): Promise<void> {
    const body = JSON.stringify(v);
    await this.kv.put(`src.${streamToken(v.source)}.${v.transcodeTemplateId}`, body);
    await this.kv.put(`ren.${streamToken(v.rendition)}`, body);
  }

  /** The variant a rendition stream is, or null when the stream is no rendition. */
  async ofRendition(stream: StreamRef): Promise<RenditionVariant | null> {
    const e = await this.kv.get(`ren.${streamToken(stream)}`);
    return e && e.operation === 'PUT' ? e.json<RenditionVariant>() : null;
  }

  /** The renditions made of a source stream. */
  async ofSource(stream: StreamRef): Promise<RenditionVariant[]> {
    const out: RenditionVariant[] = [];
    for await (const key of await this.kv.keys(`src.${streamToken(stream)}.*`)) {
      const e = await this.kv.get(key);
      if (e && e.operation === 'PUT') out.push(e.json<RenditionVariant>());
    }
    return out.sort((a, b) => a.transcodeTemplateId.localeCompare(b.transcodeTemplateId));
  }
}
