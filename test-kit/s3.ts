import { spawn } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3Client } from '../libs/storage/index.js';
import { freePort, waitFor } from './index.js';

export interface TestS3 {
  endpoint: string;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** An in-memory S3 API server (fauxqs) in a process of its own on a free loopback port. */
export async function startS3(): Promise<TestS3> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', `import('fauxqs').then((m) => m.startFauxqs({ port: ${port}, host: '127.0.0.1', logger: false })).then(() => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the S3 server', () => out.includes('ready'), 20000, 50);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3Client({ endpoint, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test', forcePathStyle: true, partSizeBytes: 8 << 20 });
  return {
    endpoint,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop: async () => {
      client.destroy();
      child.kill('SIGKILL');
    },
  };
}

export interface CuttableProxy {
  port: number;
  /** Closes every connection and stops listening: the server is off the network. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
  /**
   * Flips one byte in the middle of the body of the next PUT that passes (an object or a part
   * upload), as a bad NIC, cable or middlebox would; resolves with the request line of the PUT it corrupts.
   */
  corruptNextPut(): Promise<string>;
  /** Request lines (method and path) seen so far, in order. */
  requests(): string[];
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Watches one client-to-server byte stream as HTTP/1.1 requests (sequential on a
 * keep-alive connection, bodies framed by content-length): records request lines
 * and, when asked, flips one byte in a PUT body.
 */
class RequestTap {
  private head = Buffer.alloc(0);
  /** Body bytes still to pass before the next request's head begins. */
  private bodyLeft = 0;
  /** Offset in the current body of the byte to flip; -1 when this body is left alone. */
  private flipAt = -1;
  private bodyPos = 0;

  constructor(private onRequest: (line: string) => boolean) {}

  /** Returns the bytes to forward (the same buffer, possibly with one byte flipped). */
  pass(chunk: Buffer): Buffer {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - offset);
        if (this.flipAt >= this.bodyPos && this.flipAt < this.bodyPos + n) {
          chunk[offset + this.flipAt - this.bodyPos] ^= 0xff;
          this.flipAt = -1;
        }
        this.bodyPos += n;
        this.bodyLeft -= n;
        offset += n;
        continue;
      }
      this.head = Buffer.concat([this.head, chunk.subarray(offset)]);
      const end = this.head.indexOf(HEADER_END);
      if (end < 0) return chunk;
      const headText = this.head.subarray(0, end).toString('latin1');
      const consumed = end + HEADER_END.length - (this.head.length - (chunk.length - offset));
      offset += consumed;
      this.head = Buffer.alloc(0);
      const [line] = headText.split('\r\n');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
      this.bodyLeft = length;
      this.bodyPos = 0;
      this.flipAt = this.onRequest(line) && line.startsWith('PUT ') && length > 0 ? Math.floor(length / 2) : -1;
    }
    return chunk;
  }
}

/** A TCP proxy that can be cut and restored (a server off the network without losing its state), and can corrupt an upload. */
export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  let corrupt: ((line: string) => void) | null = null;
  let server: Server | null = null;
  let port = 0;
  const onRequest = (line: string): boolean => {
    seen.push(line.split(' ').slice(0, 2).join(' '));
    if (!corrupt || !line.startsWith('PUT ')) return false;
    const done = corrupt;
    corrupt = null;
    done(line);
    return true;
  };
  const listen = () => new Promise<void>((resolve, reject) => {
    if (server) return resolve();
    const srv = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      const tap = new RequestTap(onRequest);
      sockets.add(client);
      sockets.add(upstream);
      client.on('data', (d: Buffer) => {
        if (!upstream.write(tap.pass(d))) client.pause();
      });
      upstream.on('drain', () => client.resume());
      client.on('end', () => upstream.end());
      upstream.pipe(client);
      const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      port = (srv.address() as { port: number }).port;
      server = srv;
      resolve();
    });
  });
  const stopListening = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (!server) return resolve();
    const srv = server;
    server = null;
    srv.close(() => resolve());
  });
  await listen();
  return {
    port,
    cut: stopListening,
    restore: listen,
    close: stopListening,
    corruptNextPut: () => new Promise<string>((resolve) => (corrupt = resolve)),
    requests: () => [...seen],
  };
}
