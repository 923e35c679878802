// @vitest-environment node
// User data reaches the page as text only: no HTML sinks, no eval, no inline scripts,
// and initData is never written to web storage. The same check runs in `npm run lint`.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findings, scanHtml, scanText } from "../scripts/check-safety.mjs";

describe("source safety", () => {
  it("finds no HTML sinks, eval or storage in src/ and dist/, nor inline scripts in index.html", () => {
    expect(findings()).toEqual([]);
  });

  it("would catch each forbidden construct", () => {
    const samples = [
      "el.innerHTML = title;",
      "el.outerHTML = x;",
      'el.insertAdjacentHTML("beforeend", x);',
      "document.write(x);",
      "range.createContextualFragment(x);",
      "eval(code);",
      "new Function('return 1');",
      'setTimeout("alert(1)", 10);',
      'localStorage.setItem("initData", data);',
      "sessionStorage.getItem('x');",
    ];
    for (const sample of samples) expect(scanText(sample, "sample.ts"), sample).toHaveLength(1);
    expect(scanText("node.textContent = title; obj.evaluate(x);", "ok.ts")).toEqual([]);
  });

  it("would catch inline scripts, styles and handlers in HTML", () => {
    expect(scanHtml("<script>alert(1)</script>", "a.html")).toHaveLength(1);
    expect(scanHtml('<script src="/app/x.js">alert(1)</script>', "a.html")).toHaveLength(1);
    expect(scanHtml("<style>p{}</style>", "a.html")).toHaveLength(1);
    expect(scanHtml('<body onload="x()">', "a.html")).toHaveLength(1);
    expect(scanHtml('<script type="module" src="/src/main.ts"></script>', "a.html")).toEqual([]);
  });

  it("loads one module script from the app's own origin", () => {
    const html = readFileSync(new URL("../index.html", import.meta.url), "utf8");
    expect(html).toMatch(/<script type="module" src="\/src\/main.ts"><\/script>/);
    expect(html).not.toMatch(/telegram\.org/);
  });
});
