import { defineConfig } from "vite";

// The console is served by `chatvault serve` itself under a strict Content-Security-Policy
// (script-src 'self', no inline script): Vite's production build emits only files (no inline
// module preload polyfill), hashed under assets/ so that the server may cache them forever.
// CV_CONSOLE_OUT is where the build lands (CMake sets it to build/console, beside the binary).
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: process.env.CV_CONSOLE_OUT ?? "dist",
    emptyOutDir: true,
    target: "es2020",
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` against a `chatvault serve` on 127.0.0.1:8080.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
