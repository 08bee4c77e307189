import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The lab is a static SPA: everything it fetches (models, MNIST sample, wasm
// binaries) is served from its own origin out of public/ and the build output.
export default defineConfig({
  plugins: [react()],
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
