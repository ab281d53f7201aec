import type { NotifyConfig } from '../../../libs/bus/index.js';
import type { AddLiveRecordNotifyConfigRequest } from '../../../libs/proto/index.js';
import { ValidationError, templateKeyFields } from './template-validation.js';

function httpUrl(field: string, value: string | undefined): string {
  const v = (value ?? '').trim();
  if (!v) return '';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ValidationError(field, `is not a URL: "${v}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValidationError(field, 'must be an http or https URL');
  return v;
}

export function validateNotify(req: AddLiveRecordNotifyConfigRequest, now: number): NotifyConfig {
  const { domain } = templateKeyFields({ domainName: req.domainName, appName: '*', streamName: '*' });
  const notifyUrl = httpUrl('notify_url', req.notifyUrl);
  const onDemandUrl = httpUrl('on_demand_url', req.onDemandUrl);
  if (!notifyUrl && !onDemandUrl) throw new ValidationError('notify_url', 'notify_url or on_demand_url is required');
  if (req.needStatusNotify && !notifyUrl) throw new ValidationError('notify_url', 'is required when need_status_notify is on');
  const authKey = (req.authKey ?? '').trim();
  if (authKey && authKey.length < 8) throw new ValidationError('auth_key', 'must be at least 8 characters');
  return { domain, notifyUrl, onDemandUrl, needStatusNotify: !!req.needStatusNotify, authKey, updatedMs: now };
}
