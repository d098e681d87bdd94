import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import gzipTwins from '../common/vite-gzip.mjs';

// Served by the C++ server at "/console/"; `npm run dev` proxies the API to a local server.
export default defineConfig({
  base: '/console/',
  plugins: [vue(), gzipTwins(), Components({ resolvers: [ElementPlusResolver()], dts: false })],
  server: {
    fs: { allow: ['..'] },
    proxy: { '/api': process.env.XIAODIAN_URL || 'http://127.0.0.1:18080' },
  },
  // ECharts (~180 KB gzip) lives only in the lazily loaded dashboard chunk.
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600 },
});
