// node asyncapi-validate.mjs <asyncapi.yaml>
//
// Validates an AsyncAPI document with the parser AsyncAPI's own tools use (@asyncapi/parser,
// pinned in package.json): the specification's JSON Schema plus the parser's recommended
// ruleset, with every $ref resolved against the document's folder. Prints each diagnostic
// with its severity, its JSON path and the line it is on; exits 1 on any error-severity
// diagnostic, and also when a message has no messageId (the ruleset only warns about that,
// while code generators and catalogues key messages by it) or two messages share one.
// ctest asyncapi_validate runs it on the generated build/contracts/asyncapi.yaml.
//
// One rule is replaced, not obeyed: asyncapi2-message-messageId-uniqueness runs on the
// dereferenced document, so a message that two operations $ref (an event published on its
// routing-key channel and consumed from a worker's queue channel) counts as two messages
// with one messageId. The check below compares distinct message objects instead.
//
// The parser is loaded from CHOREO_NODE_TOOLS (set by infra/test) when given, else from
// the node_modules beside this script.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const kSeverity = ['error', 'warning', 'info', 'hint'];

function Fail(message) {
  console.error(`asyncapi-validate: ${message}`);
  process.exit(1);
}

if (process.argv.length !== 3) Fail('usage: node asyncapi-validate.mjs <asyncapi.yaml>');
const file = resolve(process.argv[2]);
if (!existsSync(file)) Fail(`${file} does not exist; build the target choreo_contracts_asyncapi (infra/test does)`);

const tools = process.env.CHOREO_NODE_TOOLS || dirname(fileURLToPath(import.meta.url));
let parserModule;
try {
  parserModule = createRequire(join(tools, 'package.json'))('@asyncapi/parser');
} catch (error) {
  Fail(`cannot load @asyncapi/parser from ${tools}/node_modules (${error.message}); run infra/test, which installs it`);
}
const { Parser, fromFile } = parserModule;

const parser = new Parser({ ruleset: { rules: { 'asyncapi2-message-messageId-uniqueness': 'off' } } });
const { document, diagnostics } = await fromFile(parser, file).parse();

let errors = 0;
for (const diagnostic of diagnostics) {
  const severity = kSeverity[diagnostic.severity] ?? String(diagnostic.severity);
  if (diagnostic.severity === 0) ++errors;
  const path = diagnostic.path.length ? '/' + diagnostic.path.join('/') : '(document)';
  const line = diagnostic.range ? `:${diagnostic.range.start.line + 1}` : '';
  console.log(`${severity} ${diagnostic.code} at ${path} (${diagnostic.source ?? file}${line}): ${diagnostic.message}`);
}

// Every distinct message object of the dereferenced document: components and operations.
function DistinctMessages(json) {
  const found = new Map();  // message object -> a JSON path where it is
  const Add = (message, path) => {
    if (message && typeof message === 'object' && !found.has(message)) found.set(message, path);
  };
  for (const [name, message] of Object.entries(json.components?.messages ?? {})) {
    Add(message, `/components/messages/${name}`);
  }
  for (const [name, channel] of Object.entries(json.channels ?? {})) {
    for (const action of ['publish', 'subscribe']) {
      const message = channel?.[action]?.message;
      const path = `/channels/${name}/${action}/message`;
      if (Array.isArray(message?.oneOf)) message.oneOf.forEach((item, i) => Add(item, `${path}/oneOf/${i}`));
      else Add(message, path);
    }
  }
  return found;
}

let problems = 0;
const messages = document ? DistinctMessages(document.json()) : new Map();
const seen = new Map();  // messageId -> path of its first message
for (const [message, path] of messages) {
  const id = message.messageId;
  if (typeof id !== 'string' || id === '') {
    ++problems;
    console.log(`error message-id-missing at ${path}: the message has no messageId`);
  } else if (seen.has(id)) {
    ++problems;
    console.log(`error message-id-unique at ${path}: messageId '${id}' is also the id of ${seen.get(id)}`);
  } else {
    seen.set(id, path);
  }
}

console.log(`${file}: ${diagnostics.length} diagnostics, ${errors} errors; ${messages.size} messages, ` +
            `${problems} with a missing or repeated messageId`);
process.exit(errors > 0 || problems > 0 || !document ? 1 : 0);
