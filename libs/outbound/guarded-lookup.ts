import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { addressDenied, type OutboundPolicy } from './address-policy.js';

export class OutboundDenied extends Error {
  readonly code = 'ERR_OUTBOUND_DENIED';
  constructor(message: string) {
    super(message);
    this.name = 'OutboundDenied';
  }
}

/**
 * A `lookup` for sockets: the name is resolved here and every address it gives is
 * checked before the socket connects to one of them, so a name that resolved to a
 * public address when it was saved and to 169.254.169.254 now (DNS rebinding) is
 * refused at the moment it would be contacted.
 */
export function guardedLookup(policy: OutboundPolicy): LookupFunction {
  return ((hostname: string, options: { all?: boolean; family?: number }, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      for (const a of addresses) {
        const why = addressDenied(a.address, policy);
        if (why) return callback(new OutboundDenied(`${hostname} resolves to a denied address: ${why}`), '', 0);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new OutboundDenied(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}
