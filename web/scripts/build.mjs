// Builds the UI into OUTDIR (default dist/); types are checked by `tsc --noEmit` apart. Bundles
// src/main.ts and src/app.css with esbuild under content-hashed names, and writes
// index.html pointing at them, so the server can cache the assets forever.
//
// Usage: node scripts/build.mjs [OUTDIR]   (from the directory holding node_modules)
import * as esbuild from "esbuild";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const outdir = path.resolve(process.argv[2] ?? "dist");
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: "src/main.ts", style: "src/app.css" },
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  entryNames: "[name]-[hash]",
  outdir,
  metafile: true,
  logLevel: "warning",
});

const outputs = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint) outputs[path.basename(meta.entryPoint)] = path.basename(file);
}
let html = readFileSync("src/index.html", "utf8");
html = html.replace("/ui/app.js", `/ui/${outputs["main.ts"]}`);
html = html.replace("/ui/app.css", `/ui/${outputs["app.css"]}`);
writeFileSync(path.join(outdir, "index.html"), html);
