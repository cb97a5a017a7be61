// Pre-compresses the built site's JS, WASM and CSS (.br and .gz next to each file, served by
// the app as-is) and reports what a signed-in page ships. With --budget=<KiB>, exits non-zero
// when the brotli total is over it.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith("--")) ?? "target/site/pkg";
const budgetArg = args.find((a) => a.startsWith("--budget="));
const budgetKiB = budgetArg ? Number(budgetArg.split("=")[1]) : null;
const json = args.includes("--json");

const files = readdirSync(dir).filter((f) => /\.(js|wasm|css)$/.test(f));
const rows = [];
for (const file of files) {
  const raw = readFileSync(join(dir, file));
  const br = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  const gz = gzipSync(raw, { level: 9 });
  writeFileSync(join(dir, file + ".br"), br);
  writeFileSync(join(dir, file + ".gz"), gz);
  rows.push({ file, raw: raw.length, gzip: gz.length, brotli: br.length });
}
const total = rows.reduce((t, r) => ({ raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), {
  raw: 0,
  gzip: 0,
  brotli: 0,
});
const kib = (n) => (n / 1024).toFixed(1);
if (json) {
  console.log(JSON.stringify({ files: rows, total }));
} else {
  console.log("| file | raw KiB | gzip KiB | brotli KiB |");
  console.log("|---|---:|---:|---:|");
  for (const r of rows) console.log(`| ${r.file} | ${kib(r.raw)} | ${kib(r.gzip)} | ${kib(r.brotli)} |`);
  console.log(`| **total** | ${kib(total.raw)} | ${kib(total.gzip)} | ${kib(total.brotli)} |`);
}
if (budgetKiB !== null) {
  if (total.brotli > budgetKiB * 1024) {
    console.error(`payload budget exceeded: ${kib(total.brotli)} KiB brotli > ${budgetKiB} KiB`);
    process.exit(1);
  }
  console.error(`payload within budget: ${kib(total.brotli)} KiB brotli <= ${budgetKiB} KiB`);
}
