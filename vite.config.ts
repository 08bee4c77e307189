/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

/**
 * Offline after the first visit: a Workbox service worker (generated, no code of ours)
 * precaches the built app, the bundled models and the MNIST data, and answers every
 * navigation with the cached index.html, so a reload without a network opens the lab
 * as it was. The page registers it itself (src/ui/OfflineStatus.tsx) once the first
 * model is open, so precaching never competes with the first load. autoUpdate: a new
 * deployment's worker takes over at once (skipWaiting + clientsClaim), which is also
 * what lets the first visit's page be controlled without a reload. Everything is
 * same-origin: the Workbox runtime is emitted next to sw.js, not fetched from a CDN.
 */
function offlinePlugin() {
  return VitePWA({
    injectRegister: false,
    registerType: 'autoUpdate',
    manifest: {
      name: 'Low-Rank Lab',
      short_name: 'Low-Rank Lab',
      description: 'Compress neural networks by low-rank factorization, in the browser.',
      start_url: './',
      scope: './',
      display: 'standalone',
      background_color: '#fafbfc',
      theme_color: '#2266cc',
      icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' }],
    },
    workbox: {
      // Models (model.json + weights.bin), the gzipped MNIST files and the warm-up picture come from public/.
      globPatterns: ['**/*.{js,css,html,svg,wasm,json,bin,gz,pgm,webmanifest}'],
      // The threaded wasm binary needs cross-origin isolation, which the lab never has: never fetched, not cached.
      globIgnores: ['**/*threaded*'],
      // mlp-512's weights (2.1 MB) and TF.js's chunk pass Workbox's 2 MiB default.
      maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
      navigateFallback: 'index.html',
      // Only the lab's own page (its folder or index.html, any query) falls back to it; other pages of the site go to the network.
      navigateFallbackAllowlist: [/\/(index\.html)?(\?.*)?$/],
      // A share link's query is state for the page, not a different file.
      ignoreURLParametersMatching: [/.*/],
      cleanupOutdatedCaches: true,
      // Set here because the page registers the worker itself (injectRegister: false), where the plugin does not add them.
      skipWaiting: true,
      clientsClaim: true,
    },
  });
}

/**
 * Workbox's runtime carries one remote address, a bit.ly link inside a console warning
 * (precaching without revision info, which the lab never does). Nothing fetches it, but
 * the worker should name no other origin at all, so the link becomes plain words once
 * the worker is written (this runs after vite-plugin-pwa's own closeBundle).
 */
function offlineWorkerOwnOriginOnly(): Plugin {
  let outDir = 'dist';
  return {
    name: 'lab-offline-own-origin-only',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle: {
      sequential: true,
      order: 'post',
      handler() {
        for (const file of readdirSync(outDir).filter((f) => /^(sw|workbox-[\w-]+)\.js$/.test(f))) {
          const path = join(outDir, file);
          writeFileSync(path, readFileSync(path, 'utf8').replaceAll('Learn more at https://bit.ly/wb-precache', 'See the Workbox documentation on precaching.'));
        }
      },
    },
  };
}

// The lab is a static SPA: everything it fetches (models, MNIST sample, wasm
// binaries) is served from its own origin out of public/ and the build output.
export default defineConfig({
  plugins: [react(), securityHeadersPlugin(), offlinePlugin(), offlineWorkerOwnOriginOnly()],
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One file at a time by default: browser tests share dist/ and Chromium. `npm test` runs the
    // Node tests two files at a time (one per core) and then the browser tests one at a time.
    fileParallelism: false,
  },
});
