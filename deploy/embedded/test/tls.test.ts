// Optional TLS: with a certificate and key configured, gRPC and the playback port speak TLS only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { DescribeLiveRecordConfigRequest, LiveRecordServiceClient } from '../../../libs/proto/index.js';
import { startSystem, tempDir, unary } from '../../../test-kit/index.js';

function selfSignedCertificate(): { cert: string; key: string } {
  const dir = tempDir('tls');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

function httpsStatus(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('tls', () => {
  it('gRPC and HTTP answer over TLS with the configured certificate; plaintext gRPC is refused', async () => {
    const { cert, key } = selfSignedCertificate();
    const sys = await startSystem({ LR_TLS_CERT_FILE: cert, LR_TLS_KEY_FILE: key });
    const ca = readFileSync(cert);
    const bearer = (k: string): grpc.Interceptor => (options, next) => new grpc.InterceptingCall(next(options), {
      start: (metadata, listener, nextStart) => {
        metadata.set('authorization', `Bearer ${k}`);
        nextStart(metadata, listener);
      },
    });
    const secure = new LiveRecordServiceClient(`localhost:${sys.ports.grpc}`, grpc.credentials.createSsl(ca), { interceptors: [bearer(sys.adminKey)] });
    const plain = new LiveRecordServiceClient(`127.0.0.1:${sys.ports.grpc}`, grpc.credentials.createInsecure(), { interceptors: [bearer(sys.adminKey)] });
    try {
      const req = DescribeLiveRecordConfigRequest.fromPartial({ domainName: 'localhost' });
      await unary(secure, 'describeLiveRecordConfig', req);
      await assert.rejects(unary(plain, 'describeLiveRecordConfig', req), (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE);
      assert.equal(await httpsStatus(`https://localhost:${sys.ports.http}/record/live/none.m3u8`, ca) >= 400, true, 'HTTPS answers (a refusal for a missing, unsigned recording)');
    } finally {
      secure.close();
      plain.close();
      assert.equal(await sys.stop(), 0);
    }
  });
});
