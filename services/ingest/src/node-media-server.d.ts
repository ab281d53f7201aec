// node-media-server 4.x ships no typings; only what the ingest uses is declared.
declare module 'node-media-server' {
  export interface NmsSession {
    id: string;
    ip: string;
    protocol: string;
    streamHost: string;
    streamApp: string;
    streamName: string;
    streamPath: string;
    streamQuery: Record<string, string | string[]>;
    videoWidth: number;
    videoHeight: number;
    videoFramerate: number;
    videoDatarate: number;
    /** RTMP sessions only: the protocol state, with an FLV tag parser that RTMP input never uses. */
    rtmp?: { flv?: { parserTagCapacity: number; parserTagData: Buffer } };
    close(): void;
  }
  export interface NmsConfig {
    bind?: string;
    rtmp?: { port: number };
    http?: { port: number };
    store?: { path: string };
    auth?: { publish?: boolean; play?: boolean; secret?: string };
  }
  export default class NodeMediaServer {
    constructor(config: NmsConfig);
    /** The RTMP listener, created by the constructor. */
    rtmpServer?: { tcpServer?: import('node:net').Server };
    on(event: 'prePublish' | 'postPublish' | 'donePublish' | 'prePlay' | 'postPlay' | 'donePlay', listener: (session: NmsSession) => void): void;
    run(): Promise<void>;
    stop(): Promise<void>;
  }
}

declare module 'node-media-server/src/core/context.js' {
  import type { NmsSession } from 'node-media-server';
  /** `data` is node-media-server's reused receive buffer: valid for `size` bytes, and only during the call. */
  export interface NmsPacket { codec_id: number; codec_type: number; flags: number; dts: number; pts: number; size: number; data: Buffer }
  export interface NmsBroadcast {
    publisher: NmsSession | null;
    subscribers: Map<string, NmsSession>;
    publishGraceMs: number;
    flvGopCache: Set<Buffer> | null;
    rtmpGopCache: Set<Buffer> | null;
    broadcastMessage(packet: NmsPacket): void;
  }
  const Context: { broadcasts: Map<string, NmsBroadcast> };
  export default Context;
}

declare module 'node-media-server/src/core/logger.js' {
  const logger: { level: string };
  export default logger;
}
