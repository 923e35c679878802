import { describe, expect, it } from "vitest";

import { quietHours } from "../src/pages/guest";

describe("the Assistant page's quiet hours", () => {
  it("takes both hours, or neither (cleared)", () => {
    expect(quietHours("23", "7")).toEqual({ change: { quiet_start: 23, quiet_end: 7 } });
    expect(quietHours(" 0 ", "0")).toEqual({ change: { quiet_start: 0, quiet_end: 0 } });
    expect(quietHours("", " ")).toEqual({ change: { no_quiet_hours: true } });
  });

  it("refuses one alone, hours past 23 and what is not an hour", () => {
    for (const [a, b] of [
      ["22", ""],
      ["", "6"],
      ["24", "1"],
      ["-1", "3"],
      ["7.5", "9"],
      ["x", "1"],
    ]) {
      expect(quietHours(a!, b!)).toEqual({ error: "guest.quietBoth" });
    }
  });
});
