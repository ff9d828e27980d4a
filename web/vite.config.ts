import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { VantResolver } from '@vant/auto-import-resolver';

// Element Plus (desktop) and Vant (phone) components are imported on demand, each page is
// its own chunk, and ECharts comes in through echarts/core with only the charts used.
export default defineConfig({
  plugins: [
    vue(),
    Components({
      dts: false,
      resolvers: [ElementPlusResolver({ importStyle: 'css' }), VantResolver({ importStyle: true })],
    }),
  ],
  server: {
    host: '127.0.0.1',
    port: 5173,
    // `npm run dev` talks to the gateway of `make run`
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:4000', ws: true },
      '/auth': 'http://127.0.0.1:4000',
    },
  },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 600,
    manifest: true, // tests/web/test_bundle.py sums each page's JavaScript from it
  },
});
