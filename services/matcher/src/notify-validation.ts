import type { NotifyConfig } from '../../../libs/bus/index.js';
import type { AddLiveRecordNotifyConfigRequest } from '../../../libs/proto/index.js';
import { hostDenied, type OutboundPolicy } from '../../../libs/outbound/index.js';
import { ValidationError, templateKeyFields } from './template-validation.js';

/** Checked when saved (a literal denied address, a host off the allow list) and again at every send (names, DNS rebinding). */
function httpUrl(field: string, value: string | undefined, policy: OutboundPolicy | null): string {
  const v = (value ?? '').trim();
  if (!v) return '';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ValidationError(field, `is not a URL: "${v}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValidationError(field, 'must be an http or https URL');
  const denied = policy ? hostDenied(u.hostname, policy) : null;
  if (denied) throw new ValidationError(field, `may not be contacted: ${denied}`);
  return v;
}

export function validateNotify(req: AddLiveRecordNotifyConfigRequest, now: number, policy: OutboundPolicy | null = null): NotifyConfig {
  const { domain } = templateKeyFields({ domainName: req.domainName, appName: '*', streamName: '*' });
  const notifyUrl = httpUrl('notify_url', req.notifyUrl, policy);
  const onDemandUrl = httpUrl('on_demand_url', req.onDemandUrl, policy);
  if (!notifyUrl && !onDemandUrl) throw new ValidationError('notify_url', 'notify_url or on_demand_url is required');
  if (req.needStatusNotify && !notifyUrl) throw new ValidationError('notify_url', 'is required when need_status_notify is on');
  const authKey = (req.authKey ?? '').trim();
  if (authKey && authKey.length < 8) throw new ValidationError('auth_key', 'must be at least 8 characters');
  return { domain, notifyUrl, onDemandUrl, needStatusNotify: !!req.needStatusNotify, authKey, updatedMs: now };
}
