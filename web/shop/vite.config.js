import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { VantResolver } from '@vant/auto-import-resolver';
import gzipTwins from '../common/vite-gzip.mjs';

// Served by the C++ server at "/"; `npm run dev` proxies the API to a local server.
export default defineConfig({
  base: '/',
  plugins: [vue(), gzipTwins(), Components({ resolvers: [VantResolver()], dts: false })],
  server: {
    fs: { allow: ['..'] },
    proxy: { '/api': process.env.XIAODIAN_URL || 'http://127.0.0.1:18080' },
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 300 },
});
