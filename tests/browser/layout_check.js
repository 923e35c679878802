// What tests/browser/layout.py checks in the page: clipped, cut and overlapping controls.
// Called by Playwright with the controls' selector; returns the problems found.
(selector) => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const name = (el) => {
    const text = (el.textContent || el.value || "").trim().slice(0, 40);
    const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
    return `${el.tagName.toLowerCase()}${cls} "${text}"`;
  };
  const shown = (el) => {
    if (el.closest("[hidden]") || el.classList.contains("visually-hidden")) return false;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const controls = [...document.querySelectorAll(selector)].filter(shown);
  const typed = new Set(["INPUT", "SELECT", "TEXTAREA"]);
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    if (box.left < -0.5 || box.right > width + 0.5) {
      problems.push(`${name(el)} sticks out of the ${width}px screen (${Math.round(box.left)}..${Math.round(box.right)})`);
    }
    // Cut by an ancestor that clips or scrolls what overflows it.
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const outer = up.getBoundingClientRect();
      if (box.left < outer.left - 0.5 || box.right > outer.right + 0.5) {
        problems.push(`${name(el)} is cut by ${name(up)} (${Math.round(box.left)}..${Math.round(box.right)} in ${Math.round(outer.left)}..${Math.round(outer.right)})`);
      }
      break;
    }
    if (!typed.has(el.tagName) && getComputedStyle(el).display !== "inline" && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)}: its text does not fit (${el.scrollWidth}px in ${el.clientWidth}px)`);
    }
  }
  // Overlaps, on the screen as it is scrolled: an element and what it contains are one
  // thing; the page scrolls under the sticky header by design (the header's own
  // controls are checked against each other).
  const header = document.querySelector("header.header");
  const inHeader = (el) => Boolean(header && header.contains(el));
  for (let i = 0; i < controls.length; i += 1) {
    for (let j = i + 1; j < controls.length; j += 1) {
      const a = controls[i], b = controls[j];
      if (a.contains(b) || b.contains(a)) continue;
      if (inHeader(a) !== inHeader(b)) continue;
      if ((a.tagName === "LABEL" && a.control === b) || (b.tagName === "LABEL" && b.control === a)) continue;
      const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
      const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (x > 1 && y > 1) problems.push(`${name(a)} overlaps ${name(b)} (${Math.round(x)}×${Math.round(y)}px)`);
    }
  }
  return problems;
}
