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

/** A TCP proxy that can be cut and restored, to take a server off the network without losing its state. */
export async function startCuttableProxy(targetPort: number): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = () => new Promise<void>((resolve) => {
    server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client);
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    server.listen(port, '127.0.0.1', () => {
      port = (server.address() as { port: number }).port;
      resolve();
    });
  });
  const stopListening = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    sockets.clear();
    server.close(() => resolve());
  });
  await listen();
  return { port, cut: stopListening, restore: listen, close: stopListening };
}
