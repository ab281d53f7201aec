// The web console on the api's HTTP port: the page and its assets under /console, its
// JSON API under /console/api. Only these exact prefixes are the console's; any other
// path (an object key such as console/clip.m3u8 included) stays playback.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bus } from '../../../../libs/bus/index.js';
import type { Logger } from '../../../../libs/telemetry/index.js';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import type { MethodTable } from '../method-calls.js';
import type { TemplateHandlers } from '../template-handlers.js';
import { bridgeRoutes, serveBridge, type BridgeRoute } from './json-bridge.js';
import { listLiveStreamsOperation, parseListLiveStreams } from './live-stream-listing.js';
import { LiveStreamsView } from './live-streams.js';
import { consoleAppDir, serveConsoleAsset } from './static-assets.js';

export interface WebConsoleDeps {
  bus: Bus;
  log: Logger;
  keys: ApiKeyStore;
  methods: MethodTable;
  templates: TemplateHandlers;
  /** Where the built page is (default: dist/console-app of this checkout). */
  appDir?: string;
}

const API_PREFIX = '/console/api/';
const ASSETS_PREFIX = '/console/assets/';

export class WebConsole {
  private readonly view: LiveStreamsView;
  private readonly routes: Map<string, BridgeRoute>;
  private readonly appDir: string;

  constructor(private deps: WebConsoleDeps) {
    this.view = new LiveStreamsView(deps.bus, deps.log);
    const listing = listLiveStreamsOperation(this.view, deps.templates);
    this.routes = bridgeRoutes(deps.methods, {
      [listing.name]: { op: listing as BridgeRoute['op'], parse: parseListLiveStreams, toJson: (r) => r },
    });
    this.appDir = deps.appDir ?? consoleAppDir();
  }

  async start(): Promise<void> {
    await this.view.start();
  }

  stop(): void {
    this.view.stop();
  }

  /** Answers the request if its path is the console's; false leaves it to the other routes. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path === '/console' || path === '/console/') {
      await serveConsoleAsset(req, res, this.appDir, null);
      return true;
    }
    if (path.startsWith(ASSETS_PREFIX)) {
      await serveConsoleAsset(req, res, this.appDir, path.slice(ASSETS_PREFIX.length));
      return true;
    }
    if (path.startsWith(API_PREFIX)) {
      await serveBridge(req, res, path.slice(API_PREFIX.length), this.routes, this.deps);
      return true;
    }
    return false;
  }
}
