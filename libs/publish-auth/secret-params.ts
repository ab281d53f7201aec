// Publish URL parameters that carry credentials. They are dropped before a publish's
// parameters are logged, evented (LR_EVENTS keeps 30 days) or handed to callbacks.
const SECRET_PARAM = /^(auth_key|auth|sign|signature|sig|token|access_token|key|secret|password|passwd|pwd|txsecret|txtime)$/i;

export function isSecretParam(name: string): boolean {
  return SECRET_PARAM.test(name);
}

export function withoutSecrets<T>(params: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(params).filter(([k]) => !isSecretParam(k)));
}
