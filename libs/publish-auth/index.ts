export { signAuthKey, verifyAuthKey, type RefusalReason, type Verdict } from './type-a-signature.js';
export { isSecretParam, withoutSecrets } from './secret-params.js';
export { PublishKeys, fromConfig, type DomainKeys, type KeysWithSource } from './publish-keys.js';
export { isTrustedAddress } from './trusted-address.js';
