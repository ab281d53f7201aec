// The console's entry: sign-in, then the pages.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whenUnauthenticated } from './api';
import { Login } from './components/login';
import { StreamPage } from './components/stream-page';
import { StreamsPage } from './components/streams-page';
import { TemplatesPage } from './components/templates-page';
import { routeHref, useRoute } from './route';
import { adoptKeyFromUrl, forgetKey, keyFromFragment, keyId } from './session';

function App() {
  const [key, setKey] = useState<string | null>(() => adoptKeyFromUrl());
  const [reason, setReason] = useState<string | undefined>();
  const route = useRoute();
  useEffect(() => {
    // A key revoked while the page is open: back to the sign-in form.
    whenUnauthenticated(() => {
      forgetKey();
      setKey(null);
      setReason('The server no longer accepts this API key. Sign in again.');
    });
  }, []);
  useEffect(() => {
    // A `#key=…` link opened in a tab that already shows the console: adopted and taken out of the address bar as on load.
    const adopt = () => {
      if (!keyFromFragment(window.location.hash)) return;
      setReason(undefined);
      setKey(adoptKeyFromUrl());
    };
    window.addEventListener('hashchange', adopt);
    return () => window.removeEventListener('hashchange', adopt);
  }, []);
  if (!key) return <Login reason={reason} onSignedIn={(k) => { setReason(undefined); setKey(k); }} />;
  const signOut = () => {
    forgetKey();
    setKey(null);
  };
  return (
    <div class="app">
      <header>
        <span class="brand">liverecord</span>
        <nav>
          <a href={routeHref({ page: 'streams' })} class={route.page === 'streams' ? 'active' : ''}>Streams</a>
          <a href={routeHref({ page: 'templates' })} class={route.page === 'templates' ? 'active' : ''}>Templates</a>
          {route.page === 'stream' ? <a class="active" href={routeHref(route)}>{route.stream.appName}/{route.stream.streamName}</a> : null}
        </nav>
        <span class="who">key {keyId(key)} <button type="button" onClick={signOut}>Sign out</button></span>
      </header>
      <main>
        {route.page === 'streams' ? <StreamsPage /> : null}
        {route.page === 'templates' ? <TemplatesPage /> : null}
        {route.page === 'stream' ? <StreamPage key={routeHref(route)} stream={route.stream} /> : null}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
