export { EXPIRES_PARAM, SIGNATURE_PARAM, checkSignature, signPublicUrl, signature, signedQuery, type SignatureCheck } from './url-signature.js';
export { PLAYBACK_KEY_FILE, playbackSigningKey } from './playback-key.js';
export { signPlaylist } from './playlist-signing.js';
export { signThumbnailTrack } from './track-signing.js';
