/**
 * The viewer's web server: node:http on 127.0.0.1 only. It serves a fixed
 * set of assets, read once at start from the packaged directory (so no path
 * from a request ever reaches the file system), and a small JSON API (see
 * api.ts). Everything else is 404; only GET and HEAD are allowed; a request
 * naming another host (DNS rebinding) is refused.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, isPfnlabError } from '../errors.js';
import type { ViewContent } from './content.js';

export const HOST = '127.0.0.1';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where `npm run build` puts the page (scripts/build-view.mjs). */
export const DEFAULT_ASSETS_DIR = join(packageRoot, 'dist', 'view-assets');

/** URL path -> file in the assets directory, and its type. The whole static surface. */
export const ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export interface ViewServerOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly assetsDir?: string;
}

export interface ViewServer {
  readonly url: string;
  readonly port: number;
  readonly address: AddressInfo;
  close(): Promise<void>;
}

function loadAssets(dir: string): Map<string, { body: Buffer; type: string }> {
  const out = new Map<string, { body: Buffer; type: string }>();
  for (const [path, a] of Object.entries(ASSETS)) {
    try {
      out.set(path, { body: readFileSync(join(dir, a.file)), type: a.type });
    } catch {
      throw new InputError(
        'view',
        `the viewer's page is not built (${join(dir, a.file)} is missing): run npm run build`,
      );
    }
  }
  return out;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function int(params: URLSearchParams, name: string, required: boolean): number | undefined {
  const v = params.get(name);
  if (v === null || v === '') {
    if (required) throw new HttpError(400, `missing ${name}`);
    return undefined;
  }
  const n = /^0x[0-9a-f]+$/i.test(v) ? Number.parseInt(v, 16) : /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new HttpError(400, `${name} must be a non-negative integer, got '${v}'`);
  return n;
}

/** The JSON API: the answer for a path, or undefined when the path is not an API route. */
function api(content: ViewContent, path: string, params: URLSearchParams): unknown {
  if (path === '/api/info') return content.info();
  if (!['/api/scenario', '/api/map', '/api/pfn', '/api/watch'].includes(path)) return undefined;
  const id = params.get('s') ?? content.current ?? '';
  const view = content.view(id);
  if (!view) throw new HttpError(404, `no scenario '${id}'`);
  if (path === '/api/scenario') return view.summary();
  const step = int(params, 'step', true)!;
  if (path === '/api/map') {
    return view.packedMap(step, {
      section: int(params, 'section', false),
      subsection: int(params, 'subsection', false),
    });
  }
  if (path === '/api/watch') {
    const dir = params.get('dir') ?? '1';
    if (dir !== '1' && dir !== '-1')
      throw new HttpError(400, `dir must be 1 or -1, got '${dir.slice(0, 40)}'`);
    return view.watch(step, int(params, 'pfn', true)!, dir === '1' ? 1 : -1);
  }
  return view.inspect(step, int(params, 'pfn', true)!);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(head ? undefined : body);
}

function handler(
  content: ViewContent,
  assets: Map<string, { body: Buffer; type: string }>,
  port: () => number,
) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    const json = (status: number, value: unknown) =>
      send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), head);
    const host = req.headers.host ?? '';
    if (host !== `${HOST}:${port()}` && host !== `localhost:${port()}`) {
      json(403, { error: `requests must name host ${HOST}:${port()}` });
      return;
    }
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      json(405, { error: `method ${req.method} not allowed` });
      return;
    }
    // Only the exact raw path is matched: no decoding, no normalising, so '/../x' or '/%2e%2e/x' is just unknown.
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const asset = assets.get(path);
    if (asset) {
      send(res, 200, asset.type, asset.body, head);
      return;
    }
    try {
      const answer = path.startsWith('/api/')
        ? api(content, path, new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)))
        : undefined;
      if (answer === undefined) json(404, { error: 'not found' });
      else json(200, answer);
    } catch (e) {
      if (e instanceof HttpError) json(e.status, { error: e.message });
      else if (isPfnlabError(e)) json(400, { error: e.message });
      else {
        json(500, { error: (e as Error).message });
      }
    }
  };
}

/** Serve a viewer on 127.0.0.1 (never another address). */
export async function startViewServer(
  content: ViewContent,
  options: ViewServerOptions = {},
): Promise<ViewServer> {
  const assets = loadAssets(options.assetsDir ?? DEFAULT_ASSETS_DIR);
  let port = 0;
  const server: Server = createServer(handler(content, assets, () => port));
  await new Promise<void>((ok, fail) => {
    const onError = (e: NodeJS.ErrnoException) => {
      fail(
        e.code === 'EADDRINUSE' || e.code === 'EACCES'
          ? new InputError('--port', `cannot listen on ${HOST}:${options.port}: ${e.code}`, options.port)
          : e,
      );
    };
    server.once('error', onError);
    server.listen({ port: options.port ?? 0, host: HOST, exclusive: true }, () => {
      server.off('error', onError);
      ok();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    address,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
