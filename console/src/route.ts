// Hash routes (#/streams, #/templates, #/stream/{domain}/{app}/{stream}): the page is
// one file served at /console, and the fragment never reaches the server.
import { useEffect, useState } from 'preact/hooks';
import type { StreamKey } from './types';

export type Route =
  | { page: 'streams' }
  | { page: 'templates' }
  | { page: 'stream'; stream: StreamKey };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      // A hand-edited fragment with a stray %: used as typed, the API names what is wrong with it.
      return p;
    }
  });
  if (parts[0] === 'templates') return { page: 'templates' };
  if (parts[0] === 'stream' && parts.length === 4) return { page: 'stream', stream: { domainName: parts[1], appName: parts[2], streamName: parts[3] } };
  return { page: 'streams' };
}

export function routeHref(route: Route): string {
  if (route.page === 'stream') {
    const { domainName, appName, streamName } = route.stream;
    return `#/stream/${[domainName, appName, streamName].map(encodeURIComponent).join('/')}`;
  }
  return `#/${route.page}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
