/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from "vite";

// No inline script or style anywhere: everything comes from /app/assets/. Photos and
// uploads may live on another origin (S3/MinIO), hence http(s) in img-src/connect-src.
// Only the build gets it: the dev server injects <style> tags for hot reloading.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob: https: http:",
  "connect-src 'self' https: http:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join("; ");

function contentSecurityPolicy(): Plugin {
  return {
    name: "concierge-csp",
    apply: "build",
    transformIndexHtml: () => [
      {
        tag: "meta",
        attrs: { "http-equiv": "Content-Security-Policy", content: CONTENT_SECURITY_POLICY },
        injectTo: "head-prepend",
      },
    ],
  };
}

// The Mini App is served at /app/ (nginx in compose, the api in `make dev`), next to
// the API at /api/v1 on the same origin. `npm run dev` proxies /api to a running api.
export default defineConfig({
  base: "/app/",
  plugins: [contentSecurityPolicy()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { "/api": process.env.CONCIERGE_API_URL ?? "http://127.0.0.1:8000" },
  },
  test: {
    environment: "jsdom",
    include: ["tests/**/*.test.ts"],
    restoreMocks: true,
  },
});
