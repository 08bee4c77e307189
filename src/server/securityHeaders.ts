/**
 * The HTTP security headers the built lab is served with: one Content-Security-Policy
 * for documents, a tighter one for the lab's worker scripts, and the headers older
 * browsers read. A policy in a <meta> tag binds neither workers (a worker takes the
 * policy sent with its own script) nor framing, so these must travel as headers.
 * Plain TypeScript with no imports: vite.config.ts reads it for `vite preview` and for
 * the `_headers` file in dist/, and tests/server checks both against it.
 */

/** A policy as directive -> sources, written out by `serializePolicy`. */
export type CspDirectives = Readonly<Record<string, readonly string[]>>;

/**
 * What the page may do: load its own scripts and compile the TF.js wasm binaries
 * (`'wasm-unsafe-eval'`), inline style attributes (React and recharts set them),
 * images and fetches from its own origin plus data: and blob: (downloads and the
 * sample images), workers from its own origin or blob:. No plugins, no <base>, no
 * form submission, and no page may frame it.
 */
export const DOCUMENT_POLICY: CspDirectives = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'wasm-unsafe-eval'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'connect-src': ["'self'", 'data:', 'blob:'],
  'worker-src': ["'self'", 'blob:'],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * What a worker script may do: import further scripts of its own origin, nothing else.
 * The lab's workers (SVD, factor jobs) are plain numerics that get their input by
 * postMessage; they fetch nothing and compile no wasm.
 */
export const WORKER_POLICY: CspDirectives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
};

/** Directives a <meta http-equiv> policy cannot carry; browsers ignore them there with a warning. */
const HEADER_ONLY_DIRECTIVES = ['frame-ancestors', 'report-uri', 'sandbox'];

/** A policy as the header value: `name source source; name source`. */
export function serializePolicy(policy: CspDirectives): string {
  return Object.entries(policy).map(([name, sources]) => [name, ...sources].join(' ')).join('; ');
}

/**
 * The document policy without the directives a <meta> tag cannot hold: the fallback
 * built into index.html for hosts that send no headers. Where the header is sent too,
 * both apply, and this one allows nothing the header forbids.
 */
export function metaPolicy(): string {
  return serializePolicy(Object.fromEntries(Object.entries(DOCUMENT_POLICY).filter(([name]) => !HEADER_ONLY_DIRECTIVES.includes(name))));
}

/** Worker scripts as Vite names them in the build: `assets/<name>.worker-<hash>.js`. */
export const WORKER_SCRIPT = /\.worker-[\w-]+\.js$/;

/** Whether a request path (query and hash ignored) is one of the lab's worker scripts. */
export function isWorkerScript(path: string): boolean {
  return WORKER_SCRIPT.test(path.split(/[?#]/)[0]);
}

/** Headers every response carries, whatever its policy. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * The security headers for a response to `path` (e.g. `/`, `/assets/svd.worker-Ab1.js`):
 * the worker policy for worker scripts, the document policy for everything else, plus
 * the common headers. Header names as sent; the caller sets them on the response.
 */
export function securityHeaders(path: string): Record<string, string> {
  const policy = isWorkerScript(path) ? WORKER_POLICY : DOCUMENT_POLICY;
  return { 'Content-Security-Policy': serializePolicy(policy), ...COMMON_HEADERS };
}

/**
 * The `_headers` file Netlify and Cloudflare Pages read, for a build whose worker
 * scripts are `workerPaths` (site paths, `/assets/svd.worker-Ab1.js`). Every path gets
 * the document headers through `/*`; each worker script gets its own rule, listed by
 * its exact name (hosts differ on wildcards inside a path segment). Hosts also differ
 * on a header two matching rules set: Cloudflare sends both policies (a browser then
 * enforces each, so the worker is held to the tighter one), Netlify keeps one rule's,
 * the later one in its own CLI, which is why the worker rules come last. Either way a
 * worker gets no connection the document policy would not allow.
 */
export function headersFile(workerPaths: readonly string[]): string {
  const block = (path: string, headers: Record<string, string>) =>
    [path, ...Object.entries(headers).map(([name, value]) => `  ${name}: ${value}`)].join('\n');
  const worker = { 'Content-Security-Policy': serializePolicy(WORKER_POLICY) };
  return [
    '# Security headers of the Low-Rank Lab, written by vite.config.ts from src/server/securityHeaders.ts.',
    block('/*', securityHeaders('/')),
    ...[...workerPaths].sort().map((path) => block(path, worker)),
  ].join('\n\n') + '\n';
}
