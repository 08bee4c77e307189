/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { headersFile, isWorkerScript, metaPolicy, securityHeaders } from './src/server/securityHeaders.ts';

/**
 * Serves the built lab with its security headers (src/server/securityHeaders.ts):
 * `vite preview` (so `npm start` and the browser tests) sets them on every response,
 * and the build writes them to dist/_headers for Netlify and Cloudflare Pages. The
 * document policy also goes into index.html as a <meta> tag, less what a meta cannot
 * carry, for hosts that send no headers. The dev server gets neither: React refresh
 * needs an inline script.
 */
function securityHeadersPlugin(): Plugin {
  return {
    name: 'lab-security-headers',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        for (const [name, value] of Object.entries(securityHeaders(req.url ?? '/'))) res.setHeader(name, value);
        next();
      });
    },
    transformIndexHtml: (html, ctx) =>
      ctx.server ? html : html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${metaPolicy()}" />`),
    generateBundle(_options, bundle) {
      const workers = Object.keys(bundle).filter(isWorkerScript).map((file) => `/${file}`);
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(workers) });
    },
  };
}

// The lab is a static SPA: everything it fetches (models, MNIST sample, wasm
// binaries) is served from its own origin out of public/ and the build output.
export default defineConfig({
  plugins: [react(), securityHeadersPlugin()],
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
