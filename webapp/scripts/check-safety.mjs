// Refuse HTML sinks and code evaluation in the Mini App's source and build output, and
// inline scripts in its index.html. User data must reach the page as text only.
//
//   node scripts/check-safety.mjs   (part of `npm run lint`; exits 1 on a finding)

import { readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export const FORBIDDEN = [
  [/\binnerHTML\b/, "innerHTML"],
  [/\bouterHTML\b/, "outerHTML"],
  [/\binsertAdjacentHTML\b/, "insertAdjacentHTML"],
  [/\bdocument\.write(ln)?\b/, "document.write"],
  [/\bcreateContextualFragment\b/, "createContextualFragment"],
  [/\bsrcdoc\b/, "srcdoc"],
  [/\bDOMParser\b/, "DOMParser"],
  [/(^|[^.\w])eval\s*\(/, "eval"],
  [/\bnew\s+Function\s*\(/, "new Function"],
  [/\bsetTimeout\s*\(\s*["'`]/, "setTimeout with a string"],
  [/\bsetInterval\s*\(\s*["'`]/, "setInterval with a string"],
  [/\blocalStorage\b/, "localStorage (initData stays in memory)"],
  [/\bsessionStorage\b/, "sessionStorage (initData stays in memory)"],
];

function files(dir, extensions) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...files(path, extensions));
    else if (extensions.some((ext) => name.endsWith(ext))) found.push(path);
  }
  return found;
}

/** Findings in one source or bundle file's text. */
export function scanText(text, name) {
  const problems = [];
  text.split("\n").forEach((line, index) => {
    for (const [pattern, label] of FORBIDDEN) {
      if (pattern.test(line)) problems.push(`${name}:${index + 1}: ${label}`);
    }
  });
  return problems;
}

/** Findings in an HTML page: inline scripts, inline styles, on* attributes. */
export function scanHtml(text, name) {
  const problems = [];
  for (const match of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc\s*=/.test(match[1]) || match[2].trim()) problems.push(`${name}: inline <script>`);
  }
  if (/<style\b/i.test(text)) problems.push(`${name}: inline <style>`);
  if (/<[^>]+\son[a-z]+\s*=/i.test(text)) problems.push(`${name}: inline event handler attribute`);
  return problems;
}

export function findings() {
  const problems = [];
  const targets = [...files(join(ROOT, "src"), [".ts", ".js"]), ...files(join(ROOT, "dist"), [".js"])];
  for (const path of targets) problems.push(...scanText(readFileSync(path, "utf8"), relative(ROOT, path)));
  for (const html of [join(ROOT, "index.html"), join(ROOT, "dist", "index.html")]) {
    if (existsSync(html)) problems.push(...scanHtml(readFileSync(html, "utf8"), relative(ROOT, html)));
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const problems = findings();
  if (problems.length) {
    console.error("Unsafe constructs (render user data with textContent / DOM nodes only):");
    for (const problem of problems) console.error(`  ${problem}`);
    process.exit(1);
  }
  console.log("check-safety: no HTML sinks, eval or inline scripts");
}
