// The API key of this browser tab. It arrives from the login form or from a
// `#key=…` fragment (`liverecord console` prints such a link): a fragment is never
// sent to a server, and it is taken out of the address bar at once so it does not
// stay in the history. The key is kept in sessionStorage (this tab only, gone with it)
// and sent only as an Authorization header to this origin's /console/api.

const STORAGE_KEY = 'liverecord.apiKey';

/** The key a `#key=…` fragment carries (also `#…&key=…`), or null. */
export function keyFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const key = params.get('key');
  return key && key.trim() ? key.trim() : null;
}

/** Takes a key out of the URL into session storage; returns the key now in use. */
export function adoptKeyFromUrl(): string | null {
  const fromFragment = keyFromFragment(window.location.hash);
  if (fromFragment) {
    saveKey(fromFragment);
    history.replaceState(null, '', `${window.location.pathname}#/streams`);
  }
  return currentKey();
}

export function currentKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage disabled (private mode settings): the key lives in memory for this page only.
    return memoryKey;
  }
}

let memoryKey: string | null = null;

export function saveKey(key: string): void {
  memoryKey = key;
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage disabled: memoryKey above keeps it for this page.
  }
}

export function forgetKey(): void {
  memoryKey = null;
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: there is nothing stored to remove.
  }
}

/** The key's public id (`lrk_{id}_{secret}` → id), to show who is signed in without showing the secret. */
export function keyId(key: string): string {
  const m = /^lrk_([0-9a-f]{16})_/.exec(key);
  return m ? m[1] : 'unknown key';
}
