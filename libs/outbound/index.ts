export { addressDenied, hostDenied, type OutboundPolicy } from './address-policy.js';
export { OutboundDenied, guardedLookup } from './guarded-lookup.js';
export { BodyTooLarge, outboundRequest, type OutboundAnswer, type OutboundOptions } from './outbound-request.js';
export { isConfiguredEndpoint } from './configured-endpoints.js';

/** Storage endpoints are configuration, not user input: private and loopback networks are where they usually live. */
export const STORAGE_POLICY = { allowLoopback: true, allowPrivate: true, allowHosts: [] } as const;
