import fs from "node:fs";
import path from "node:path";
import { defineConfig, type Plugin } from "vite";

// The routes the server of this tree has, from src/server/openapi.json (a server test checks
// it against the real routes): the pages offer a control only when its route exists, so a
// console never calls a route its server lacks (a 404 would be a console error in the
// browser). `virtual:api-routes` exports them as "METHOD /path" strings, nothing else.
function apiRoutes(): Plugin {
  // CV_OPENAPI: another server's description, to build a console for it.
  const spec = process.env.CV_OPENAPI ?? path.resolve(__dirname, "..", "src", "server", "openapi.json");
  const id = "virtual:api-routes";
  return {
    name: "chatvault-api-routes",
    resolveId: (source) => (source === id ? "\0" + id : null),
    load(source) {
      if (source !== "\0" + id) return null;
      this.addWatchFile(spec);
      const paths = JSON.parse(fs.readFileSync(spec, "utf8")).paths as Record<string, Record<string, unknown>>;
      const routes = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
      return `export const routes = ${JSON.stringify(routes)};`;
    },
  };
}

// The console is served by `chatvault serve` itself under a strict Content-Security-Policy
// (script-src 'self', no inline script): Vite's production build emits only files (no inline
// module preload polyfill), hashed under assets/ so that the server may cache them forever.
// CV_CONSOLE_OUT is where the build lands (CMake sets it to build/console, beside the binary).
export default defineConfig({
  plugins: [apiRoutes()],
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
