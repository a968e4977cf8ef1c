import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The build does not reject an unbalanced stylesheet: it silently swallows every rule after
// the missing brace (a merge once left a @media block open and unstyled three pages).
function braceProblems(css: string): string[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const problems: string[] = [];
  let depth = 0;
  let line = 1;
  let openedAt: number[] = [];
  for (const ch of text) {
    if (ch === "\n") line++;
    if (ch === "{") {
      depth++;
      openedAt = [...openedAt, line];
    } else if (ch === "}") {
      depth--;
      openedAt = openedAt.slice(0, -1);
      if (depth < 0) {
        problems.push(`unmatched } at line ${line}`);
        depth = 0;
      }
    }
  }
  openedAt.forEach((at) => problems.push(`{ opened at line ${at} is never closed`));
  return problems;
}

// A block nested in a rule (not a @media) means a rule was left open: `.a { .b { ... } }`.
function nestedRules(css: string): string[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const found: string[] = [];
  const stack: string[] = [];
  let prelude = "";
  for (const ch of text) {
    if (ch === "{") {
      const head = prelude.trim();
      if (stack.length > 0 && !stack[stack.length - 1].startsWith("@")) found.push(`${head} inside ${stack[stack.length - 1]}`);
      stack.push(head);
      prelude = "";
    } else if (ch === "}") {
      stack.pop();
      prelude = "";
    } else if (ch === ";") {
      prelude = "";
    } else prelude += ch;
  }
  return found;
}

describe("styles.css", () => {
  const css = readFileSync(join(import.meta.dirname, "styles.css"), "utf8");

  it("has every block closed", () => {
    expect(braceProblems(css)).toEqual([]);
  });

  it("has no rule left open around the next ones", () => {
    expect(nestedRules(css)).toEqual([]);
  });

  it("the checks see an open block", () => {
    expect(braceProblems("@media (x) {\n .a { b: c; }\n\n.d { e: f; }")).toEqual(["{ opened at line 1 is never closed"]);
    expect(nestedRules("@media (x) { .a { b: c; } }")).toEqual([]);
    expect(nestedRules(".a { b: c;\n.d { e: f; } }")).toEqual([".d inside .a"]);
  });
});
