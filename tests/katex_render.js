// Renders each LaTeX string of a JSON list read from stdin with KaTeX in strict mode
// (display style, errors thrown); prints a JSON list of [index, message] for the failures.
const katex = require(process.env.MATCALC_KATEX);
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const failures = [];
  JSON.parse(input).forEach((tex, i) => {
    try {
      katex.renderToString(tex, { displayMode: true, strict: "error", throwOnError: true });
    } catch (e) {
      failures.push([i, e.message]);
    }
  });
  process.stdout.write(JSON.stringify(failures));
});
