// Writes static/build/THIRD-PARTY.txt: the name, version and licence text of every npm package esbuild put
// into the editor's bundle (read from its metafile), so the bundle ships with the notices its licences ask for.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [metafile, out] = process.argv.slice(2);
const inputs = Object.keys(JSON.parse(readFileSync(metafile, "utf8")).inputs);
const roots = new Set();
for (const input of inputs) {
  const match = input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (match) roots.add(join("node_modules", match[1]));
}
const sections = [...roots].sort().map((root) => {
  const { name, version, license } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const file = readdirSync(root).find((entry) => /^licen[cs]e/i.test(entry));
  const text = file ? readFileSync(join(root, file), "utf8").trim() : `(${license}; the package ships no licence file)`;
  return `${name} ${version} (${license})\n\n${text}\n`;
});
writeFileSync(out, "The SPARQL editor's bundle (editor.js beside this file) contains these npm packages.\n\n" +
  sections.join("\n" + "-".repeat(78) + "\n\n"));
